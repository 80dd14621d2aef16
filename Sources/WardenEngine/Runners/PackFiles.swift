import Foundation

/// Finds pack files on disk.
public enum PackFiles {
    /// Expands paths: a file is taken as is; a directory yields every file under it with the
    /// extension, sorted. Missing paths are returned in `missing`.
    public static func find(_ paths: [String], extension ext: String) -> (files: [String], missing: [String]) {
        var files: [String] = []
        var missing: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                missing.append(path)
                continue
            }
            if !isDirectory.boolValue {
                files.append(path)
                continue
            }
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            var found: [String] = []
            if let e = fm.enumerator(atPath: path) {
                for case let relative as String in e where relative.hasSuffix("." + ext) {
                    found.append(base + "/" + relative)
                }
            }
            files.append(contentsOf: found.sorted())
        }
        return (files, missing)
    }
}
