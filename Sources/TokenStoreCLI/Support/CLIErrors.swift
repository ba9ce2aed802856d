import OAuth1
import OAuth2
import TokenStoreFlow
import TokenStoreKit

/// Turns the library's typed errors into ``CLIFailure``s whose message is the error's
/// redacted `description`, so the user sees one clear line and never a secret.
enum CLIErrors {
    /// Runs `body`, rethrowing ``AuthorizationFlowError``, `OAuth1Error` and
    /// ``TokenStoreError`` as ``CLIFailure``.
    static func reporting<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as AuthorizationFlowError {
            throw CLIFailure(error.description)
        } catch let error as OAuth1Error {
            throw CLIFailure(error.description + providerDetail(error))
        } catch let error as TokenStoreError {
            throw CLIFailure(error.description)
        } catch let error as OAuth2Error {
            throw CLIFailure(error.description)
        } catch let error as OAuth2RefreshError {
            throw CLIFailure(error.description)
        }
    }

    /// The provider's own message, which is useful for a rejected request and holds no
    /// secret of ours.
    private static func providerDetail(_ error: OAuth1Error) -> String {
        guard let message = error.providerMessage, !message.isEmpty else { return "" }
        return " (provider says: \(message))"
    }
}
