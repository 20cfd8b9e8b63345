import ReparamTensor
import Testing

@Suite("Thread tuner")
struct ThreadTunerTests {
    /// A clock that a step advances by the cost its thread count is given.
    final class FakeClock {
        var time = 0.0
        func read() -> Double { time }
    }

    @Test("Candidates are the thread count and its halvings; disabled or one thread means one candidate")
    func candidates() {
        #expect(ThreadTuner(threads: 8, enabled: true).candidates == [8, 4, 2, 1])
        #expect(ThreadTuner(threads: 2, enabled: true).candidates == [2, 1])
        #expect(ThreadTuner(threads: 6, enabled: false).candidates == [6])
        #expect(ThreadTuner(threads: 1, enabled: true).candidates == [1])
    }

    @Test("Trial steps alternate the candidates, then the period runs on the fastest", arguments: [true, false])
    func schedule(fewerIsFaster: Bool) {
        let clock = FakeClock()
        let tuner = ThreadTuner(threads: 2, period: 10, trials: 3, enabled: true, now: clock.read)
        var seen: [Int] = []
        for _ in 0..<20 {
            tuner.run {
                seen.append(Kernels.threads)
                clock.time += (Kernels.threads == 1) == fewerIsFaster ? 1 : 3
            }
        }
        let settled = fewerIsFaster ? 1 : 2
        let period = [2, 1, 2, 1, 2, 1] + Array(repeating: settled, count: 4)
        #expect(seen == period + period)
        #expect(tuner.stepCounts == (fewerIsFaster ? [6, 14] : [14, 6]))
        #expect(tuner.meanThreads == (fewerIsFaster ? 26.0 / 20 : 34.0 / 20))
        tuner.resetCounts()
        #expect(tuner.meanThreads == nil)
    }

    @Test("The choice follows the median, so one slow outlier step does not decide it")
    func median() {
        let clock = FakeClock()
        let tuner = ThreadTuner(threads: 2, period: 10, trials: 3, enabled: true, now: clock.read)
        var step = 0, last = 0
        for _ in 0..<10 {
            tuner.run {
                // Two threads are faster except in their first step (a cold start).
                clock.time += Kernels.threads == 2 ? (step == 0 ? 100 : 1) : 2
                last = Kernels.threads
                step += 1
            }
        }
        #expect(last == 2)
    }

    @Test("A step that throws is rethrown and the next one still runs")
    func throwing() {
        struct Failure: Error {}
        let tuner = ThreadTuner(threads: 2, period: 10, trials: 1, enabled: true)
        #expect(throws: Failure.self) { try tuner.run { throw Failure() } }
        #expect(tuner.run { 7 } == 7)
    }
}
