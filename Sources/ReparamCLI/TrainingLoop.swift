import ArgumentParser
import Foundation
import Reparam
import ReparamLab

#if canImport(Glibc)
    import Glibc
#endif

/// The signal (SIGINT or SIGTERM) that asked the run to save and stop, 0 while none has; the
/// training loops check it between batches or steps.
nonisolated(unsafe) var interruptRequested: sig_atomic_t = 0
/// 1 while a checkpoint is being written, and the signal that arrived meanwhile (0 if none).
nonisolated(unsafe) var savingCheckpoint: sig_atomic_t = 0
nonisolated(unsafe) var signalDuringSave: sig_atomic_t = 0

/// SIGINT (Ctrl-C) and SIGTERM (what Slurm and Kubernetes send before killing a job) both ask
/// the run to save and stop. A second signal quits at once, except during a checkpoint write,
/// which it lets finish (`savingCheckpoint`) so no half-written file is left.
func installStopHandlers() {
    unblockStopSignals()
    for signalNumber in [SIGINT, SIGTERM] {
        signal(signalNumber) { received in
            if interruptRequested == 0 {
                interruptRequested = received
            } else if savingCheckpoint != 0 {
                signalDuringSave = received
            } else {
                _exit(128 + received)
            }
        }
    }
}

/// Until a command installs its stop handlers, SIGINT and SIGTERM end it at once with a message and
/// the status 128 + the signal's number, not death by the signal; a file write in progress
/// (`savingProtected`) finishes first, so no temporary file is left.
func installQuitHandlers() {
    unblockStopSignals()
    for signalNumber in [SIGINT, SIGTERM] {
        signal(signalNumber) { received in
            if savingCheckpoint != 0 {
                signalDuringSave = received
                return
            }
            let message: StaticString = "\ninterrupted: stopped before finishing\n"
            _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
            _exit(128 + received)
        }
    }
}

/// A launcher may start us with these signals blocked (a process inherits the spawning thread's
/// mask); blocked, they would wait until the command ended on its own.
private func unblockStopSignals() {
    var set = sigset_t()
    sigemptyset(&set)
    for signalNumber in [SIGINT, SIGTERM] { sigaddset(&set, signalNumber) }
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}

/// `body` (a checkpoint write) protected from a second signal, which then ends the process
/// right after it.
func savingProtected<R>(_ body: () throws -> R) rethrows -> R {
    savingCheckpoint = 1
    defer {
        savingCheckpoint = 0
        if signalDuringSave != 0 {
            FileHandle.standardError.write(Data("interrupted during a file write: quitting after it\n".utf8))
            _exit(128 + signalDuringSave)
        }
    }
    return try body()
}

/// How a run stopped by a signal reports it: which signal, and the exit status 128 + its number
/// (130 for SIGINT, 143 for SIGTERM).
var interruption: (name: String, exit: ExitCode) {
    (interruptRequested == SIGTERM ? "SIGTERM" : "Ctrl-C", ExitCode(128 + Int32(interruptRequested)))
}

/// Epochs until `epochs` with a progress bar, per-epoch lines or JSON, metrics.jsonl, a
/// checkpoint after each epoch, Ctrl-C or SIGTERM saving and stopping, and non-finite losses stopping with
/// the last good checkpoint kept.
func runTraining<T: ResumableTrainer>(
    _ trainer: inout T, folder: RunFolder, train: Tensor, test: Tensor, epochs: Int,
    json: Bool, header: String
) throws {
    if trainer.state.epoch >= epochs && trainer.state.batch == 0 {
        print(
            "\(folder.url.path) has already trained \(trainer.state.epoch) epochs; pass a larger --epochs to continue.")
        return
    }
    if trainer.state.step > 0 {
        FileHandle.standardError.write(
            Data(
                "resuming \(folder.url.path) at epoch \(trainer.state.epoch + 1), batch \(trainer.state.batch) (its saved configuration applies)\n"
                    .utf8))
    }
    installStopHandlers()
    if !json {
        print(header)
        print("epoch   train loss   test loss   seconds   images/s")
    }
    var progress = ProgressBar(total: trainer.batchesPerEpoch(train))
    while trainer.state.epoch < epochs {
        let epoch = trainer.state.epoch + 1, started = Date(), firstBatch = trainer.state.batch
        progress.start(label: "epoch \(epoch)/\(epochs)", done: firstBatch)
        let completed: Bool
        do {
            completed = try trainer.runEpoch(train, shouldStop: { interruptRequested != 0 }) { t in
                progress.update(done: t.state.batch, loss: t.epochLoss)
            }
        } catch let error as NonFiniteTrainingError {
            progress.finish()
            let kept =
                FileManager.default.fileExists(atPath: folder.checkpoint.path)
                ? "The last good checkpoint, \(folder.checkpoint.path), is unchanged."
                : "No checkpoint was written: it failed before the first epoch ended."
            throw CommandFailure(description: "\(error)\n\(kept) Try a lower --lr.")
        }
        progress.finish()
        let seconds = Date().timeIntervalSince(started)
        if !completed {
            try save(trainer, folder)
            print(
                "\(interruption.name) in epoch \(epoch) before batch \(trainer.state.batch); "
                    + "saved \(folder.checkpoint.path). Continue with --resume \(folder.url.path).")
            throw interruption.exit
        }
        let trainLoss = trainer.lastEpochLoss, testLoss = trainer.testLoss(test)
        let images = Double((trainer.batchesPerEpoch(train) - firstBatch) * trainer.batchSize)
        // The step-weighted thread count says when the tuner found fewer threads faster.
        let tuner = trainer.threadTuner
        let threads = tuner.candidates.count > 1 ? tuner.meanThreads.map { [("mean_threads", $0)] } ?? [] : []
        tuner.resetCounts()
        let extra = trainer.epochDiagnostics(train) + threads
        let record = Record(
            [
                ("epoch", .integer(epoch)), ("train_loss", .number(trainLoss)), ("test_loss", .number(testLoss)),
                ("seconds", .number(seconds)), ("images_per_second", .number(images / seconds)),
                ("step", .integer(trainer.state.step)),
            ] + extra.map { ($0.0, .number($0.1)) })
        try save(trainer, folder)
        // An automatic estimator's choices: one metrics line per candidate measured, the table on screen.
        let choices = trainer.takeSelections()
        let choiceRecords = choices.flatMap { choice in
            choice.selection.trials.map { trial in
                Record([
                    ("event", "estimator_choice"), ("step", .integer(choice.step)),
                    ("estimator", .string(trial.kind.rawValue)),
                    ("variance", .number(trial.variance)), ("bias_squared", .number(trial.biasSquared)),
                    ("cost", .number(trial.cost)), ("cost_unit", .string(choice.selection.cost.rawValue)),
                    ("score", .number(trial.score)), ("chosen", .bool(trial.kind == choice.selection.chosen)),
                ])
            }
        }
        do {
            for line in choiceRecords.map(\.json) + [record.json] { try folder.appendMetrics(line) }
        } catch {
            throw CommandFailure(description: "cannot append to \(folder.metrics.path): \(error.localizedDescription)")
        }
        if !json {
            for choice in choices {
                print(
                    "estimator choice at step \(choice.step): \(choice.selection.chosen.rawValue)"
                        + " (the lowest bias² + variance × cost/median cost)")
                let rows = choice.selection.table
                let table = Table(header: rows[0], rows: Array(rows.dropFirst())).text
                print(table.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            }
        }
        if json {
            print(record.json)
        } else {
            print(
                String(
                    format: "%5d   %10.3f   %9.3f   %7.2f   %8.0f", epoch, trainLoss, testLoss, seconds,
                    images / seconds)
                    + extra.map { String(format: "   %@ %.4g", $0.0, $0.1) }.joined())
        }
        fflush(nil)
    }
}

private func save<T: ResumableTrainer>(_ trainer: T, _ folder: RunFolder) throws {
    do { try savingProtected { try trainer.writeCheckpoint(to: folder.checkpoint) } } catch {
        throw CommandFailure(description: "\(error)")
    }
}
