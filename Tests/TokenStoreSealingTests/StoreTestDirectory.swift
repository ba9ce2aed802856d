import Foundation

/// A fresh path under the system temp directory (not created), removed by `remove()`.
struct StoreTestDirectory {
    let path: String

    init(_ label: String = "store") {
        path = FileManager.default.temporaryDirectory.path + "/tokenstore-tests-\(label)-\(UUID().uuidString)"
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
