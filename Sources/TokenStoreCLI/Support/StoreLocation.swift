import Foundation

/// Where `tokenstore` keeps tokens when no `--store` is given.
enum StoreLocation {
    /// The directory of the user's token store: `$XDG_DATA_HOME/tokenstore`, or
    /// `~/.local/share/tokenstore` when `XDG_DATA_HOME` is unset or not absolute (the XDG
    /// base directory rule).
    ///
    /// - Throws: ``CLIFailure`` when neither `XDG_DATA_HOME` nor `HOME` is usable.
    static func userDataDirectory(environment: [String: String]) throws -> String {
        try xdgDirectory(
            "XDG_DATA_HOME", fallback: ".local/share", environment: environment,
            hint: "cannot find a data directory: neither XDG_DATA_HOME nor HOME is an absolute path; "
                + "pass --store URL (e.g. --store sqlite:///path/tokens.db)")
    }

    /// `$variable/tokenstore`, or `~/fallback/tokenstore` when the variable is unset or not
    /// absolute (the XDG base directory rule).
    ///
    /// - Throws: ``CLIFailure`` with `hint` when neither the variable nor `HOME` is absolute.
    static func xdgDirectory(
        _ variable: String, fallback: String, environment: [String: String], hint: String
    ) throws -> String {
        if let xdg = environment[variable], xdg.hasPrefix("/") {
            return (xdg as NSString).appendingPathComponent("tokenstore")
        }
        guard let home = environment["HOME"], home.hasPrefix("/") else { throw CLIFailure(hint) }
        return (home as NSString).appendingPathComponent(fallback + "/tokenstore")
    }

    /// The default store URL, `sqlite://<data dir>/tokens.db`, creating the directory with
    /// mode 0700 (and tightening an existing one to 0700) so other users cannot read it.
    ///
    /// - Throws: ``CLIFailure`` when the directory cannot be created.
    static func defaultUserStoreURL(environment: [String: String]) throws -> String {
        let directory = try userDataDirectory(environment: environment)
        try makePrivateDirectory(directory)
        return "sqlite://" + (directory as NSString).appendingPathComponent("tokens.db")
    }

    /// A fresh private temporary directory for the demo's store.
    ///
    /// - Throws: ``CLIFailure`` when it cannot be created.
    static func makeTemporaryDirectory(prefix: String = "tokenstore-demo") throws -> String {
        let path = (NSTemporaryDirectory() as NSString)
            .appendingPathComponent("\(prefix)-\(UUID().uuidString.lowercased())")
        do {
            // Not intermediate: creation fails rather than reuse a directory someone made first.
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CLIFailure("cannot create a temporary directory \(path): \(error.localizedDescription)")
        }
        return path
    }

    /// Creates `path` and its parents, then sets it to 0700.
    static func makePrivateDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        } catch {
            throw CLIFailure("cannot create the store directory \(path): \(error.localizedDescription)")
        }
    }
}
