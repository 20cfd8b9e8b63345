import CReparamKernels
import Foundation
import Testing

@Suite struct PlacementTests {
    @Test func roundTripIsMeasuredBetweenTwoCPUs() throws {
        #if os(Linux)
            try #require(ProcessInfo.processInfo.activeProcessorCount >= 2, "needs two CPUs")
            let nanoseconds = rp_core_round_trip_ns(0, 1, 2000)
            // A cache line between two cores takes tens of ns at best; a descheduled partner can
            // stretch a trip to a time slice, but not the mean of 2000 to a millisecond.
            #expect(nanoseconds > 5 && nanoseconds < 1_000_000, "round trip \(nanoseconds) ns")
        #else
            #expect(rp_core_round_trip_ns(0, 1, 10) == -1, "threads cannot be pinned here")
        #endif
    }

    @Test func refusesCPUsThatDoNotExist() {
        #expect(rp_core_round_trip_ns(-1, 0, 10) == -1)
        #expect(rp_core_round_trip_ns(0, 1 << 20, 10) == -1)
        #expect(rp_core_round_trip_ns(0, 1, 0) == -1)
    }
}
