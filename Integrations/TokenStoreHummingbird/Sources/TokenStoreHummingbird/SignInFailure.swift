import OAuth1
import OAuth2
import TokenStoreFlow
import TokenStoreKit

/// What a sign-in error means for the browser: the page or redirect it gets.
enum SignInFailure: Equatable {
    /// The callback cannot complete (unknown, expired or used token, another session, a
    /// malformed callback): 400 with a "start again" link.
    case startAgain
    /// The callback was not begun by this browser: 400 with a "start again" link.
    case foreignCallback
    /// The user pressed "Deny" at the provider: back to the app.
    case denied
    /// The provider did not answer, or not properly: 502.
    case providerUnavailable
    /// The token store did not answer: 503.
    case storeUnavailable
    /// Anything else (the app's configuration, a bug): 500.
    case internalError

    init(_ error: any Error, atCallback: Bool) {
        switch error {
        case let error as AuthorizationFlowError:
            switch error.code {
            case .requestTokenNotFound, .sessionRequired, .sessionMismatch, .providerMismatch, .invalidCallback:
                self = .startAgain
            case .missingUserID: self = .providerUnavailable
            default: self = .internalError
            }
        case let error as OAuth1Error:
            switch error.code {
            case .userDenied: self = .denied
            case .missingVerifier, .tokenMismatch: self = .startAgain
            case .providerRejected:
                // At the callback a 4xx means the provider refused this authorization
                // (expired there, verifier wrong): the user can start again.
                let refused = (error.httpStatus ?? 500) < 500
                self = atCallback && refused ? .startAgain : .providerUnavailable
            case .transportFailure, .timedOut, .malformedResponse, .callbackNotConfirmed: self = .providerUnavailable
            default: self = .internalError
            }
        case let error as OAuth2Error:
            switch error.code {
            case .accessDenied: self = .denied
            // A code that expired, was used or does not match the verifier (invalid_grant),
            // a crossed or forged callback: this authorization is over, a new one can work.
            case .invalidGrant, .stateMismatch, .issuerMismatch, .invalidCallback: self = .startAgain
            case .providerRejected:
                let refused = (error.httpStatus ?? 500) < 500
                self = atCallback && refused ? .startAgain : .providerUnavailable
            case .serverError, .temporarilyUnavailable, .transportFailure, .timedOut, .malformedResponse,
                .unexpectedTokenType:
                self = .providerUnavailable
            // invalid_client, unauthorized_client, invalid_scope...: the app's registration
            // or configuration, which the user cannot fix by starting again.
            default: self = .internalError
            }
        case is TokenStoreError: self = .storeUnavailable
        default: self = .internalError
        }
    }
}
