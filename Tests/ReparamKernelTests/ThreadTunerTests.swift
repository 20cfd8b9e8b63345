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

    /// A two-thread tuner (10-step periods stretching to 40, one trial step per count) run for `steps`
    /// steps on a fake clock, each costing `cost(step, threads)`: each step's thread count, and the tuner.
    static func run(steps: Int, cost: (Int, Int) -> Double) -> (seen: [Int], tuner: ThreadTuner) {
        let clock = FakeClock()
        let tuner = ThreadTuner(threads: 2, period: 10, longestPeriod: 40, trials: 1, enabled: true, now: clock.read)
        let seen = (0..<steps).map { step in
            tuner.run {
                clock.time += cost(step, Kernels.threads)
                return Kernels.threads
            }
        }
        return (seen, tuner)
    }

    @Test(
        "A clear choice of all threads, twice in a row, doubles the period up to the longest; an unclear one does not")
    func backoff() {
        let (seen, tuner) = Self.run(steps: 120) { _, threads in threads == 2 ? 1 : 3 }
        // Trials (2 threads, then 1) start at 0 and 10 (the first choice has nothing to repeat), then
        // after periods of 20, 40 and 40.
        #expect(seen.indices.filter { seen[$0] == 1 } == [1, 11, 31, 71, 111])
        #expect(tuner.currentPeriod == 40)

        let (steps, unclear) = Self.run(steps: 60) { _, threads in threads == 2 ? 1 : 1.2 }
        #expect(steps.indices.filter { steps[$0] == 1 } == Array(stride(from: 1, to: 60, by: 10)))
        #expect(unclear.currentPeriod == 10)
    }

    @Test("Fewer threads chosen, however clearly, keep the shortest period")
    func fewerKeepPeriod() {
        let (seen, tuner) = Self.run(steps: 60) { _, threads in threads == 2 ? 3 : 1 }
        #expect(seen.indices.filter { seen[$0] == 2 } == Array(stride(from: 0, to: 60, by: 10)))
        #expect(tuner.currentPeriod == 10)
    }

    @Test("When the chosen count slows down during a long period, a trial runs at once and the period starts over")
    func slowdown() {
        // Two threads are fast until step 40 (inside the 40-step period that began at step 30), then 5× slower.
        let (seen, tuner) = Self.run(steps: 60) { step, threads in threads == 1 ? 3 : step < 40 ? 1 : 5 }
        // Since the trial at 30-31 the tuner watched steps 32-39 at cost 1; from 40 on they cost 5, and
        // the median of the last 16 reaches 1.25 at step 47 (8 of each): the trial runs at 48-49.
        #expect(Array(seen[32..<48]) == Array(repeating: 2, count: 16))
        #expect(seen[48] == 2 && seen[49] == 1)
        #expect(Array(seen[50..<58]) == Array(repeating: 1, count: 8))
        #expect(tuner.currentPeriod == 10)
    }

    @Test("A step that throws is rethrown and the next one still runs")
    func throwing() {
        struct Failure: Error {}
        let tuner = ThreadTuner(threads: 2, period: 10, trials: 1, enabled: true)
        #expect(throws: Failure.self) { try tuner.run { throw Failure() } }
        #expect(tuner.run { 7 } == 7)
    }
}
