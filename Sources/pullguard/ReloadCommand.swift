import ArgumentParser
import PullGuard
import PullGuardConfig
import PullGuardCore

/// `pullguard reload`: check the configuration as `pullguard check` does, then send SIGHUP
/// to the running process, as `nginx -t && nginx -s reload`.
///
/// Checking first means a typo is reported to the operator who made it, at the terminal,
/// rather than only in the server's log (where the running process would refuse it anyway
/// and keep its last good generation).
///
/// Exit status: 0 signal sent; 1 the configuration is invalid (nothing sent, one problem per
/// line, as `check`); 2 no process to signal (no `pid_file`, pid file missing or garbage, no
/// such process, not a PullGuard, not permitted). Usage errors are ArgumentParser's (64).
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Validate the configuration, then signal the running PullGuard (SIGHUP) to reload it.",
        discussion: """
        The process is found through the configuration's pid_file, or given with --pid. \
        With --pid alone nothing is validated: the running process validates on reload \
        and keeps its current configuration if the new one is invalid.
        """
    )

    @Option(help: "The YAML configuration the running process was started with.")
    var config: String?

    @Option(help: "Signal this process instead of the one named by the config's pid_file.")
    var pid: Int32?

    func validate() throws {
        guard config != nil || pid != nil else {
            throw ValidationError("give --config FILE (its pid_file names the process) or --pid PID")
        }
        if let pid, pid <= 0 { throw ValidationError("--pid must be a positive process id") }
    }

    static let noProcess = ExitCode(2)

    func run() throws {
        var pidFile: String?
        if let config {
            let settings: PullGuardSettings
            do {
                settings = try ConfigLoader.load(file: config)
            } catch {
                Console.error("configuration not reloaded: it is invalid")
                throw Console.fail(error)
            }
            let preflight = ServerPreflight.problems(in: settings)
            guard preflight.isEmpty else {
                Console.error("configuration not reloaded: it is invalid")
                for problem in preflight { Console.error(problem) }
                throw ExitCode.failure
            }
            pidFile = settings.reload.pidFile
        }
        let target: Int32
        let source: ReloadSignal.Source
        if let pid {
            target = pid
            source = .explicit
        } else if let pidFile {
            do {
                target = try PIDFile.read(path: pidFile)
            } catch {
                Console.error(error.description)
                throw Self.noProcess
            }
            source = .pidFile(pidFile)
        } else {
            Console.error("\(config ?? ""): no pid_file is configured, so the running process cannot be found; "
                + "add `pid_file: PATH` to the configuration or give --pid PID")
            throw Self.noProcess
        }
        do {
            try ReloadSignal.send(to: target, source: source)
        } catch {
            Console.error(error.description)
            throw Self.noProcess
        }
        print("configuration OK; sent SIGHUP to process \(target)")
    }
}
