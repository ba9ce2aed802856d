import Foundation
import OAuth1
import OAuth2
import OAuth2Testing
import Testing

/// The failure issue 21 is about, reproduced against the local provider: workers that
/// refresh with the same refresh token without coordination.
@Suite("Uncoordinated refreshes against a rotating provider", .serverTimeLimit)
struct RefreshRaceTests {
    @Test("concurrent refreshes with one refresh token: one wins, the rest get invalid_grant, the family dies")
    func race() async throws {
        try await FlowFixture.with { fixture in
            let tokens = try await fixture.signIn()
            let refreshToken = try #require(tokens.refreshToken)
            let client = fixture.client
            let outcomes = await withTaskGroup(of: Result<OAuth2TokenResponse, OAuth2Error>.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        do {
                            return .success(try await client.refresh(refreshToken: refreshToken))
                        } catch let error as OAuth2Error {
                            return .failure(error)
                        } catch {
                            return .failure(OAuth2Error(.transportFailure, message: "\(error)"))
                        }
                    }
                }
                var all: [Result<OAuth2TokenResponse, OAuth2Error>] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            let winners = outcomes.compactMap { try? $0.get() }
            let losers = outcomes.compactMap { outcome -> OAuth2Error? in
                if case .failure(let error) = outcome { return error }
                return nil
            }
            #expect(winners.count == 1)
            #expect(losers.count == 7)
            #expect(losers.allSatisfy { $0.code == .invalidGrant })
            #expect(fixture.provider.counters.refreshesServed == 1)
            #expect(fixture.provider.counters.invalidGrantAnswers == 7)
            #expect(fixture.provider.counters.familyRevocations == 1)
            // The winner's tokens died with the family: the user must sign in again.
            let winner = try #require(winners.first)
            #expect(!fixture.provider.isValidAccessToken(winner.accessToken))
            #expect(!fixture.provider.isValidRefreshToken(try #require(winner.refreshToken)))
        }
    }
}
