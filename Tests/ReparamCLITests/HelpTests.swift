import ArgumentParser
import Testing

@testable import ReparamCLI

/// Every command under `root`, depth first.
private func commands(_ root: ParsableCommand.Type) -> [ParsableCommand.Type] {
    [root] + root.configuration.subcommands.flatMap(commands)
}

@Suite struct HelpTests {
    /// The parser re-wraps any help line longer than the terminal (80 columns when it cannot
    /// tell), which broke example commands mid-line so that a copied one ran truncated, and cut
    /// hand-wrapped prose into ragged pieces. So an indented line (an example) fits in 80
    /// columns, and a longer line is a paragraph of its own, which the parser wraps whole.
    @Test func helpSurvivesTheParsersWrapping() {
        for command in commands(ReparamCommand.self) {
            let lines = command.configuration.discussion.split(separator: "\n", omittingEmptySubsequences: false)
            for (i, line) in lines.enumerated() where line.count > 80 {
                let alone = (i == 0 || lines[i - 1].isEmpty) && (i == lines.count - 1 || lines[i + 1].isEmpty)
                if line.hasPrefix(" ") || !alone {
                    Issue.record("\(command.configuration.commandName ?? "?"): \(line.count) columns: \(line)")
                }
            }
        }
    }
}
