import Foundation

/// Tests/ReparamRLTests/Fixtures/environments.json, written by scripts/generate_rl_fixtures.py
/// from gymnasium.
struct EnvironmentFixtures: Decodable {
    struct Case: Decodable {
        var environment: String
        var seed: Int
        var actions: String
        var episodes: [Episode]
    }

    struct Episode: Decodable {
        var resetState: [Double]
        var resetObservation: [Double]
        var steps: [Step]

        enum CodingKeys: String, CodingKey {
            case resetState = "reset_state", resetObservation = "reset_observation", steps
        }
    }

    struct Step: Decodable {
        var action: Action
        var state: [Double]
        var observation: [Double]
        var reward: Double
        var terminated: Bool
        var truncated: Bool
    }

    /// A discrete action (an index) or a continuous one (a vector).
    enum Action: Decodable {
        case index(Int)
        case vector([Float])

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let index = try? container.decode(Int.self) {
                self = .index(index)
            } else {
                self = .vector(try container.decode([Float].self))
            }
        }
    }

    var cases: [Case]

    static let shared: EnvironmentFixtures = {
        let url = Bundle.module.url(forResource: "environments", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(EnvironmentFixtures.self, from: Data(contentsOf: url))
    }()

    static func cases(_ id: String) -> [Case] { shared.cases.filter { $0.environment == id } }
}
