// The engine as a Windows child process.
//  - CREATE_NO_WINDOW: a hidden console of its own, never the operator's.
//    The console window's close event (CTRL_CLOSE) goes to every process on
//    that console and Windows ends each about 5 s later; a Python engine
//    cannot even catch it. On its own console the engine never gets it, and
//    its stop comes from us: CTRL_C or CTRL_BREAK raised on its console by
//    the `console-ctrl` helper (platform/console_ctrl.hpp). No
//    CREATE_NEW_PROCESS_GROUP: that would disable CTRL_C in the engine.
//  - A Job Object with KILL_ON_JOB_CLOSE, assigned while the process is
//    still suspended: the engine, and everything it starts, dies with the
//    supervisor, and a kill of the job reaches grandchildren. A child in a
//    new process group, or DETACHED_PROCESS, stays in the job too: only
//    CREATE_BREAKAWAY_FROM_JOB leaves it, and this job does not allow that.
//    So the job is the engine's tree (common/engine_tree.hpp): when the
//    engine exits, what it left in the job is ended at once (Windows has no
//    stop signal for an arbitrary process) before the exit is reported.
//  - Only the pipe ends and NUL are inherited (ChildStartup).

#include <boost/asio/windows/object_handle.hpp>
#include <boost/asio/windows/stream_handle.hpp>

#include <array>
#include <atomic>

#include <spdlog/spdlog.h>

#include "common/os_info.hpp"
#include "common/win32_text.hpp"
#include "supervisor/engine_process.hpp"
#include "supervisor/platform/child_startup_windows.hpp"
#include "supervisor/platform/console_ctrl.hpp"
#include "supervisor/platform/output_drain.hpp"

namespace es {
namespace asio = boost::asio;

namespace {

// The supervisor's environment plus the extra variables, as a sorted-enough
// UTF-16 block (Windows does not require sorting for CreateProcessW).
std::wstring environment_block(const std::map<std::string, std::string>& extra) {
  std::wstring block;
  wchar_t* current = GetEnvironmentStringsW();
  for (const wchar_t* entry = current; entry && *entry; entry += wcslen(entry) + 1) {
    const std::wstring text(entry);
    const auto equals = text.find(L'=', 1);  // "=C:=C:\\x" entries start with '='
    const std::string name = to_utf8(text.substr(0, equals));
    if (extra.contains(name)) continue;
    block += text;
    block.push_back(L'\0');
  }
  FreeEnvironmentStringsW(current);
  for (const auto& [name, value] : extra) {
    block += to_wide(name + "=" + value);
    block.push_back(L'\0');
  }
  block.push_back(L'\0');
  return block;
}

// An overlapped read end (for Asio) and an inheritable write end.
struct PipePair {
  WinHandle read;
  WinHandle write;
};

Result<PipePair> make_pipe() {
  static std::atomic<unsigned> counter{0};
  const std::wstring name = L"\\\\.\\pipe\\engine-supervisor-" +
                            std::to_wstring(GetCurrentProcessId()) + L"-" +
                            std::to_wstring(counter++);
  PipePair pipe;
  pipe.read = WinHandle(CreateNamedPipeW(name.c_str(), PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED |
                                                           FILE_FLAG_FIRST_PIPE_INSTANCE,
                                         PIPE_TYPE_BYTE | PIPE_WAIT, 1, 65536, 65536, 0, nullptr));
  if (!pipe.read.valid()) {
    return Error{ExitCode::kEngineNotStarted, "cannot create a pipe for the engine's output: " +
                                                  win32_error_text(GetLastError())};
  }
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  pipe.write = WinHandle(CreateFileW(name.c_str(), GENERIC_WRITE, 0, &inherit, OPEN_EXISTING,
                                     FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!pipe.write.valid()) {
    return Error{ExitCode::kEngineNotStarted, "cannot open the engine's output pipe: " +
                                                  win32_error_text(GetLastError())};
  }
  return pipe;
}

class WindowsEngineProcess final : public EngineProcess {
 public:
  WindowsEngineProcess(asio::io_context& io, OutputHandler on_output, ExitHandler on_exit)
      : drain_(io, std::move(on_output), std::move(on_exit)), process_(io) {}

  Result<void> start(const EngineSpec& spec) {
    if (spec.argv.empty()) return Error{ExitCode::kEngineNotStarted, "engine.command is empty"};
    auto out = make_pipe();
    if (!out) return out.error();
    auto err = make_pipe();
    if (!err) return err.error();
    SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    const std::wstring input = spec.stdin_file.empty() ? L"NUL" : spec.stdin_file.wstring();
    WinHandle null_in(CreateFileW(input.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
                                  OPEN_EXISTING, 0, nullptr));

    job_ = WinHandle(CreateJobObjectW(nullptr, nullptr));  // null attributes: not inheritable
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!job_.valid() || !SetInformationJobObject(job_.get(), JobObjectExtendedLimitInformation,
                                                  &limits, sizeof limits)) {
      return Error{ExitCode::kEngineNotStarted,
                   "cannot create the engine's Job Object: " + win32_error_text(GetLastError())};
    }

    ChildStartup startup(null_in.get(), out->write.get(), err->write.get());

    auto line = command_line(spec.argv);
    auto environment = environment_block(spec.extra_env);
    // The engine inherits whether CTRL_C is ignored (a parent that started
    // us in a new process group set that): it must hear the CTRL_C we raise.
    SetConsoleCtrlHandler(nullptr, FALSE);
    const auto folder = spec.working_dir.wstring();
    PROCESS_INFORMATION info{};
    const BOOL created = CreateProcessW(
        nullptr, line.data(), nullptr, nullptr, TRUE,
        CREATE_SUSPENDED | CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT |
            EXTENDED_STARTUPINFO_PRESENT,
        environment.data(), folder.c_str(), startup.get(), &info);
    const DWORD create_error = GetLastError();
    if (!created) {
      return Error{ExitCode::kEngineNotStarted, "engine could not be started: cannot execute " +
                                                    spec.argv[0] + " (in " +
                                                    spec.working_dir.string() + "): " +
                                                    win32_error_text(create_error)};
    }
    WinHandle thread(info.hThread);
    process_handle_ = info.hProcess;
    pid_ = static_cast<long>(info.dwProcessId);
    // In the job before it runs a single instruction: nothing it starts can
    // escape the job.
    if (!AssignProcessToJobObject(job_.get(), info.hProcess)) {
      const DWORD error = GetLastError();
      TerminateProcess(info.hProcess, 1);
      return Error{ExitCode::kEngineNotStarted,
                   "cannot put the engine in its Job Object: " + win32_error_text(error)};
    }
    ResumeThread(thread.get());

    out->write.reset();
    err->write.reset();
    drain_.out().assign(out->read.release());
    drain_.err().assign(err->read.release());
    process_.assign(info.hProcess);
    drain_.start();
    process_.async_wait([this](const boost::system::error_code& error) {
      if (!error) on_process_exit();
    });
    return {};
  }

  long pid() const override { return pid_; }

  void request_stop(std::string_view signal_name) override {
    // SIGINT is CTRL_C (Python: KeyboardInterrupt, or its SIGINT handler);
    // any other stop_signal is CTRL_BREAK (Python: signal.SIGBREAK).
    if (exited_) return;
    const bool ctrl_c = signal_name == "SIGINT";
    start_console_ctrl(ctrl_c ? ConsoleCtrl::kCtrlC : ConsoleCtrl::kCtrlBreak,
                       ctrl_c ? "CTRL_C" : "CTRL_BREAK");
  }

  void kill_tree() override {
    if (job_.valid()) TerminateJobObject(job_.get(), kKilledExitCode);
  }

  EngineTreeRecord tree() const override {
    EngineTreeRecord record;
    for (const auto pid : job_process_ids()) {
      WinHandle process(OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
      FILETIME created{}, exited{}, kernel{}, user{};
      std::uint64_t start = 0;
      if (process.valid() && GetProcessTimes(process.get(), &created, &exited, &kernel, &user)) {
        start = (std::uint64_t{created.dwHighDateTime} << 32) | created.dwLowDateTime;
      }
      TrackedProcess tracked{static_cast<long>(pid), start, image_name(process.get())};
      if (static_cast<long>(pid) == pid_) {
        record.processes.insert(record.processes.begin(), tracked);
      } else {
        record.processes.push_back(tracked);
      }
    }
    return record;
  }

  ~WindowsEngineProcess() override {
    // Closing the job kills whatever is left in it (KILL_ON_JOB_CLOSE).
    if (!exited_) kill_tree();
  }

 private:
  // The exit code a killed engine reports; it is never in clean_exit_codes
  // unless an operator puts it there.
  static constexpr UINT kKilledExitCode = 0xC000013A;  // STATUS_CONTROL_C_EXIT

  // Starts `engine-supervisor console-ctrl PID EVENT` (no console, nothing
  // inherited) and reports, when it ends, if it could not deliver the event;
  // the stop plan's grace timer runs meanwhile either way.
  void start_console_ctrl(ConsoleCtrl event, const char* event_name) {
    std::wstring line = quote_argument(executable_path().wstring()) + L" console-ctrl " +
                        std::to_wstring(pid_) +
                        (event == ConsoleCtrl::kCtrlC ? L" ctrl_c" : L" ctrl_break");
    STARTUPINFOW startup{};
    startup.cb = sizeof startup;
    PROCESS_INFORMATION info{};
    if (!CreateProcessW(nullptr, line.data(), nullptr, nullptr, FALSE,
                        DETACHED_PROCESS | CREATE_UNICODE_ENVIRONMENT, nullptr, nullptr, &startup,
                        &info)) {
      spdlog::error("could not send {} to the engine (pid {}): starting the console-ctrl helper "
                    "failed: {}",
                    event_name, pid_, win32_error_text(GetLastError()));
      return;
    }
    CloseHandle(info.hThread);
    auto helper = std::make_shared<asio::windows::object_handle>(process_.get_executor(),
                                                                 info.hProcess);
    helper->async_wait([helper, event_name, pid = pid_](const boost::system::error_code& error) {
      if (error) return;
      DWORD code = 0;
      GetExitCodeProcess(helper->native_handle(), &code);
      if (code != 0) {
        spdlog::error("could not send {} to the engine (pid {}) on its console: {}", event_name,
                      pid, win32_error_text(code));
      }
    });
  }

  void on_process_exit() {
    DWORD code = 0;
    GetExitCodeProcess(process_handle_, &code);
    EngineExit exit;
    exit.exit_code = static_cast<int>(code);
    exited_ = true;
    // What the engine left running in its job must not outlive it.
    exit.left_running = end_left_in_job();
    drain_.engine_exited(exit);
  }

  // The processes in the job now (the engine too while it lives).
  std::vector<DWORD> job_process_ids() const {
    std::vector<DWORD> pids;
    if (!job_.valid()) return pids;
    constexpr DWORD kMaxListed = 4096;
    std::vector<unsigned char> buffer(sizeof(JOBOBJECT_BASIC_PROCESS_ID_LIST) +
                                      kMaxListed * sizeof(ULONG_PTR));
    auto* list = reinterpret_cast<JOBOBJECT_BASIC_PROCESS_ID_LIST*>(buffer.data());
    if (!QueryInformationJobObject(job_.get(), JobObjectBasicProcessIdList, list,
                                   static_cast<DWORD>(buffer.size()), nullptr) &&
        GetLastError() != ERROR_MORE_DATA) {
      return pids;
    }
    for (DWORD i = 0; i < list->NumberOfProcessIdsInList; ++i) {
      pids.push_back(static_cast<DWORD>(list->ProcessIdList[i]));
    }
    return pids;
  }

  static std::string image_name(HANDLE process) {
    if (process == nullptr) return {};
    std::wstring path(32768, L'\0');
    DWORD size = static_cast<DWORD>(path.size());
    if (!QueryFullProcessImageNameW(process, 0, path.data(), &size)) return {};
    path.resize(size);
    return to_utf8(path);
  }

  // Ends what the engine left in its job, and waits (boundedly) until each
  // is gone: TerminateProcess only starts the end, and a process that is
  // ending may still hold the DB open for a moment.
  std::vector<LeftProcess> end_left_in_job() {
    std::vector<LeftProcess> left;
    std::vector<WinHandle> handles;
    for (const auto pid : job_process_ids()) {
      if (static_cast<long>(pid) == pid_) continue;
      WinHandle process(OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
      left.push_back({static_cast<long>(pid), image_name(process.get()), "killed"});
      handles.push_back(std::move(process));
    }
    if (!left.empty()) {
      spdlog::warn("the engine exited, but {} of its processes still run: ending its Job Object",
                   left.size());
    }
    TerminateJobObject(job_.get(), kKilledExitCode);
    const auto deadline = GetTickCount64() + 5000;
    for (std::size_t i = 0; i < handles.size(); ++i) {
      if (!handles[i].valid()) continue;
      const auto now = GetTickCount64();
      const DWORD wait = now < deadline ? static_cast<DWORD>(deadline - now) : 0;
      if (WaitForSingleObject(handles[i].get(), wait) == WAIT_TIMEOUT) left[i].ended = "still_running";
    }
    return left;
  }

  long pid_ = -1;
  HANDLE process_handle_ = nullptr;  // owned by process_
  WinHandle job_;
  OutputDrain<asio::windows::stream_handle> drain_;
  asio::windows::object_handle process_;
  bool exited_ = false;
};

}  // namespace

std::string EngineExit::signal_name() const {
  return signal ? "signal " + std::to_string(*signal) : "";
}

int signal_number(std::string_view) { return 0; }

bool ended_by_stop_signal(const EngineExit& exit, std::string_view) {
  // Every stop name becomes CTRL_C or CTRL_BREAK; an unhandled one of
  // either ends the process with this status.
  constexpr DWORD kControlCExit = 0xC000013A;  // STATUS_CONTROL_C_EXIT
  return exit.exit_code && static_cast<DWORD>(*exit.exit_code) == kControlCExit;
}

Result<std::unique_ptr<EngineProcess>> EngineProcess::spawn(EventLoop& loop,
                                                            const EngineSpec& spec,
                                                            OutputHandler on_output,
                                                            ExitHandler on_exit) {
  auto process = std::make_unique<WindowsEngineProcess>(loop.context(), std::move(on_output),
                                                         std::move(on_exit));
  if (auto started = process->start(spec); !started) return started.error();
  return std::unique_ptr<EngineProcess>(std::move(process));
}

}  // namespace es
