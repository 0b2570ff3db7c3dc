import Foundation
import PullGuardCore

/// Entry points of `Config/`: a YAML file, YAML text, or the single-site CLI flags
/// in; validated `PullGuardSettings` or `ConfigError.invalid` with every problem out.
///
/// All file reading of a PullGuard process happens here, once; the areas receive
/// bytes and never open a path themselves.
public enum ConfigLoader {
    /// Loads a YAML config file; relative paths inside it resolve against its folder.
    public static func load(file: String, environment: ConfigEnvironment = .current) throws -> PullGuardSettings {
        let url = URL(fileURLWithPath: ConfigPath.resolve(file, against: environment.currentDirectory))
        let bytes: [UInt8]
        switch PEMFile.read(url.path) {
        case .success(let read): bytes = read
        case .failure(let error): throw ConfigError.invalid([ConfigProblem(keyPath: "--config", message: error.message)])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError.invalid([ConfigProblem(keyPath: "--config", message: "\(url.path): not UTF-8 text")])
        }
        var settings = try load(yaml: text, baseDirectory: url.deletingLastPathComponent(), environment: environment)
        settings.configFile = url.standardizedFileURL.path
        return settings
    }

    /// Loads YAML text; relative paths resolve against `baseDirectory`.
    public static func load(yaml: String, baseDirectory: URL, environment: ConfigEnvironment = .current) throws
        -> PullGuardSettings
    {
        var problems: [ConfigProblem] = []
        let document = ConfigDocument.read(yaml: yaml, baseDirectory: baseDirectory, problems: &problems)
        return try validate(document, problems: problems, environment: environment)
    }

    /// Builds the settings of one site from CLI flags, through the same validation
    /// as a file, with flag names (`--cert`) as key paths.
    public static func load(flags: SingleSiteFlags, environment: ConfigEnvironment = .current) throws
        -> PullGuardSettings
    {
        var problems: [ConfigProblem] = []
        let document = ConfigDocument(flags: flags, currentDirectory: environment.currentDirectory, problems: &problems)
        return try validate(document, problems: problems, environment: environment)
    }

    /// Schema problems and meaning problems are reported together, so one run shows everything.
    private static func validate(_ document: ConfigDocument?, problems: [ConfigProblem],
                                 environment: ConfigEnvironment) throws -> PullGuardSettings
    {
        guard let document else { throw ConfigError.invalid(problems) }
        var validator = ConfigValidator(environment: environment, baseDirectory: document.baseDirectory)
        let settings = validator.validate(document)
        let all = problems + validator.problems
        guard let settings, all.isEmpty else { throw ConfigError.invalid(all) }
        return settings
    }
}
