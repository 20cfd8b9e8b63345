#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a long series of like-sized pieces of work (training steps) on the number of kernel
/// threads that measured fastest lately.
///
/// Why: splitting every kernel across threads pays only while the threads share data cheaply.
/// On virtual machines the two vCPUs can sit on one core complex for a while and on two for the
/// next; then every activation one thread writes and the other reads crosses the fabric, and a
/// step of the MNIST flow VAE ran 2.2× slower on two threads than in the good placement, and
/// 1.4× slower than on one thread (2-vCPU AMD EPYC, 100-image batches). No fixed rule predicts
/// that, so the tuner measures: at the start of every period it runs `trials` steps on each
/// candidate count, interleaved, and uses the count with the lowest median step time for the
/// rest of the period. Candidates are the thread count and its halvings down to 1.
///
/// A period starts at `period` steps. When a trial picks all threads, as the one before did, and
/// every other count's median was at least `clearMargin` times slower, the next period is twice
/// as long, up to `longestPeriod`: a clear answer is asked again less often. While a period is
/// longer than `period`, the tuner watches the chosen count's steps, and when the median of the
/// last `watchedSteps` is `clearMargin` times its trial median (the placement or the host
/// changed), it runs a new trial at once and starts again from `period`.
///
/// The kernels give bit-identical results on any number of threads, so the choice changes
/// speed only. It costs at most `trials · candidates / period` of the steps run on a slower
/// count (4 % by default), and an eighth of that once the answer has been clear for long enough.
/// `REPARAM_ADAPTIVE_THREADS=0` turns it off; with one thread (as `Kernels.threads` says when
/// the tuner is made, an enclosing override included) it only runs the work.
public final class ThreadTuner {
    /// Thread counts tried, most first.
    public let candidates: [Int]
    /// Steps between the starts of two trials while the answer is not yet clear.
    public let period: Int
    /// The longest a clear answer stretches the period to.
    public let longestPeriod: Int
    /// Steps per candidate in each trial.
    public let trials: Int
    /// How much slower (as a ratio of medians) every other count must be for a clear answer,
    /// and how much slower the chosen count must become to call a new trial.
    public static let clearMargin = 1.25
    /// Steps of the chosen count whose median is compared with its trial median.
    public static let watchedSteps = 16
    private var position = 0
    private var chosen: Int
    private var timings: [[Double]]
    private let now: () -> Double
    /// The length of the period running now.
    public private(set) var currentPeriod: Int
    private var previousChoice: Int?
    /// The chosen count's median step time in the last trial, and its steps since.
    private var reference = Double.infinity
    private var watched: [Double] = []
    /// Steps run on each candidate (same order as `candidates`) since the last `resetCounts()`.
    public private(set) var stepCounts: [Int]

    /// A tuner over `threads` and its halvings. `enabled` defaults to the environment's choice;
    /// `now` (seconds, monotonic) is there for tests. `longestPeriod` defaults to 8 · `period`.
    public init(
        threads: Int = Kernels.threads, period: Int = 200, longestPeriod: Int? = nil, trials: Int = 4,
        enabled: Bool = ThreadTuner.enabledByEnvironment, now: @escaping () -> Double = ThreadTuner.seconds
    ) {
        var counts = [Swift.max(1, threads)]
        while enabled && counts.last! > 1 { counts.append(counts.last! / 2) }
        candidates = counts
        self.trials = Swift.max(1, trials)
        self.period = Swift.max(period, self.trials * counts.count + 1)
        self.longestPeriod = Swift.max(self.period, longestPeriod ?? 8 * self.period)
        currentPeriod = self.period
        chosen = 0
        timings = Array(repeating: [], count: counts.count)
        stepCounts = Array(repeating: 0, count: counts.count)
        self.now = now
    }

    /// Monotonic seconds.
    public static func seconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// False when `REPARAM_ADAPTIVE_THREADS` is `0`, `false`, `off` or `no`.
    public static var enabledByEnvironment: Bool {
        guard let raw = getenv("REPARAM_ADAPTIVE_THREADS") else { return true }
        return !["0", "false", "off", "no"].contains(String(cString: raw).lowercased())
    }

    /// Runs `body` on the thread count this step calls for, timing it when it is a trial step or
    /// a watched one.
    public func run<R>(_ body: () throws -> R) rethrows -> R {
        guard candidates.count > 1 else { return try body() }
        let trialSteps = trials * candidates.count
        if position == 0 { (timings, watched) = (timings.map { _ in [] }, []) }
        let index = position < trialSteps ? position % candidates.count : chosen
        let start = now()
        let result = try Kernels.withOverrides(threads: candidates[index], body)
        let elapsed = now() - start
        stepCounts[index] += 1
        if position < trialSteps {
            timings[index].append(elapsed)
            if position == trialSteps - 1 { concludeTrial() }
        } else if currentPeriod > period && slowedDown(elapsed) {
            currentPeriod = period
            position = currentPeriod - 1  // the next step starts a trial
        }
        position = (position + 1) % currentPeriod
        return result
    }

    /// Chooses the fastest candidate and sets the next period's length by how clear the choice was.
    private func concludeTrial() {
        let medians = timings.map { $0.isEmpty ? .infinity : median($0) }
        let best = Self.fastest(medians)
        let others = medians.indices.filter { $0 != best }.map { medians[$0] }
        // Only all threads stretch the period: fewer win during a placement that can end at any moment,
        // and the watch below would not notice that (the chosen count does not slow down, the others speed up).
        let clear =
            best == 0 && best == previousChoice && others.allSatisfy { $0 >= Self.clearMargin * medians[best] }
        currentPeriod = clear ? Swift.min(2 * currentPeriod, longestPeriod) : period
        (chosen, previousChoice, reference) = (best, best, medians[best])
    }

    /// Whether the chosen count's last `watchedSteps` steps ran `clearMargin` times slower than in its trial.
    private func slowedDown(_ elapsed: Double) -> Bool {
        watched.append(elapsed)
        if watched.count > Self.watchedSteps { watched.removeFirst() }
        return watched.count == Self.watchedSteps && median(watched) >= Self.clearMargin * reference
    }

    /// Step-weighted mean thread count since the last `resetCounts()` (nil before any step).
    public var meanThreads: Double? {
        let total = stepCounts.reduce(0, +)
        guard total > 0 else { return nil }
        return zip(candidates, stepCounts).reduce(0.0) { $0 + Double($1.0 * $1.1) } / Double(total)
    }

    public func resetCounts() { stepCounts = stepCounts.map { _ in 0 } }

    /// The candidate with the lowest median time; ties go to more threads (earlier index).
    static func fastest(_ medians: [Double]) -> Int {
        medians.indices.min { medians[$0] < medians[$1] } ?? 0
    }
}
