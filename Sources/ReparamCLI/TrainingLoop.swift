import ArgumentParser
import Foundation
import Reparam
import ReparamLab
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT; the training loop checks it between batches.
nonisolated(unsafe) var interruptRequested: sig_atomic_t = 0

/// Epochs until `epochs` with a progress bar, per-epoch lines or JSON, metrics.jsonl, a
/// checkpoint after each epoch, Ctrl-C saving and stopping, and non-finite losses stopping with
/// the last good checkpoint kept.
func runTraining<T: ResumableTrainer>(_ trainer: inout T, folder: RunFolder, train: Tensor, test: Tensor, epochs: Int,
                                      json: Bool, header: String) throws {
    if trainer.state.epoch >= epochs && trainer.state.batch == 0 {
        print("\(folder.url.path) has already trained \(trainer.state.epoch) epochs; pass a larger --epochs to continue.")
        return
    }
    if trainer.state.step > 0 {
        FileHandle.standardError.write(Data("resuming \(folder.url.path) at epoch \(trainer.state.epoch + 1), batch \(trainer.state.batch) (its saved configuration applies)\n".utf8))
    }
    signal(SIGINT) { _ in
        interruptRequested = 1
        signal(SIGINT, SIG_DFL)  // a second Ctrl-C quits at once
    }
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
            let kept = FileManager.default.fileExists(atPath: folder.checkpoint.path)
                ? "The last good checkpoint, \(folder.checkpoint.path), is unchanged."
                : "No checkpoint was written: it failed before the first epoch ended."
            throw CommandFailure(description: "\(error)\n\(kept) Try a lower --lr.")
        }
        progress.finish()
        let seconds = Date().timeIntervalSince(started)
        if !completed {
            try save(trainer, folder)
            print("Interrupted in epoch \(epoch) before batch \(trainer.state.batch); saved \(folder.checkpoint.path). Continue with --resume \(folder.url.path).")
            throw ExitCode(130)
        }
        let trainLoss = trainer.lastEpochLoss, testLoss = trainer.testLoss(test)
        let images = Double((trainer.batchesPerEpoch(train) - firstBatch) * trainer.batchSize)
        let extra = trainer.epochDiagnostics(train)
        let record = Record([("epoch", .integer(epoch)), ("train_loss", .number(trainLoss)), ("test_loss", .number(testLoss)),
                             ("seconds", .number(seconds)), ("images_per_second", .number(images / seconds)),
                             ("step", .integer(trainer.state.step))] + extra.map { ($0.0, .number($0.1)) })
        try save(trainer, folder)
        do { try folder.appendMetrics(record.json) } catch { throw CommandFailure(description: "cannot append to \(folder.metrics.path): \(error.localizedDescription)") }
        if json { print(record.json) } else {
            print(String(format: "%5d   %10.3f   %9.3f   %7.2f   %8.0f", epoch, trainLoss, testLoss, seconds, images / seconds)
                  + extra.map { String(format: "   %@ %.4g", $0.0, $0.1) }.joined())
        }
        fflush(nil)
    }
}

private func save<T: ResumableTrainer>(_ trainer: T, _ folder: RunFolder) throws {
    do { try trainer.writeCheckpoint(to: folder.checkpoint) } catch { throw CommandFailure(description: "\(error)") }
}
