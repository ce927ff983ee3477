// The detached run on Windows: a process on a hidden console of its own,
// out of the window's job where the job allows it.

#include <spdlog/spdlog.h>

#include "common/os_info.hpp"
#include "common/win32_text.hpp"
#include "supervisor/platform/child_startup_windows.hpp"
#include "supervisor/platform/run_detach.hpp"

namespace es {

bool viewer_by_default() {
  // A console window the operator can close. Not a service (no console),
  // not output redirected to a file by a scheduled task's command line.
  if (GetConsoleWindow() == nullptr) return false;
  DWORD mode = 0;
  return GetConsoleMode(GetStdHandle(STD_OUTPUT_HANDLE), &mode) != 0;
}

namespace {

struct Pipe {
  WinHandle read, write;
};

// Both ends inheritable at first; the caller makes its own end private.
Result<Pipe> make_pipe() {
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE read = nullptr;
  HANDLE write = nullptr;
  if (!CreatePipe(&read, &write, &inherit, 0)) {
    return Error{ExitCode::kIoError, "cannot create a pipe for the detached run: " +
                                         win32_error_text(GetLastError())};
  }
  return Pipe{WinHandle(read), WinHandle(write)};
}

void keep_private(const WinHandle& handle) {
  SetHandleInformation(handle.get(), HANDLE_FLAG_INHERIT, 0);
}

class WindowsDetachedRun final : public DetachedRun {
 public:
  WindowsDetachedRun(PROCESS_INFORMATION info, WinHandle out, WinHandle err, WinHandle channel)
      : process_(info.hProcess),
        pid_(static_cast<long>(info.dwProcessId)),
        out_(std::move(out)),
        err_(std::move(err)),
        channel_(std::move(channel)) {
    CloseHandle(info.hThread);
  }

  long pid() const override { return pid_; }

  std::size_t read_output(ConsoleStream stream, char* buffer, std::size_t size) override {
    DWORD read = 0;
    const HANDLE pipe = stream == ConsoleStream::kOut ? out_.get() : err_.get();
    if (!ReadFile(pipe, buffer, static_cast<DWORD>(size), &read, nullptr)) return 0;
    return read;
  }

  bool send(char byte) override {
    DWORD written = 0;
    return WriteFile(channel_.get(), &byte, 1, &written, nullptr) && written == 1;
  }

  int wait() override {
    WaitForSingleObject(process_.get(), INFINITE);
    DWORD code = 1;
    GetExitCodeProcess(process_.get(), &code);
    return static_cast<int>(code);
  }

 private:
  WinHandle process_;
  long pid_;
  WinHandle out_, err_, channel_;
};

}  // namespace

Result<std::unique_ptr<DetachedRun>> DetachedRun::start(const std::vector<std::string>& arguments) {
  auto out = make_pipe();
  if (!out) return out.error();
  auto err = make_pipe();
  if (!err) return err.error();
  auto channel = make_pipe();
  if (!channel) return channel.error();
  keep_private(out->read);
  keep_private(err->read);
  keep_private(channel->write);

  // Only the run's three ends are inherited, whatever else is inheritable.
  ChildStartup startup(channel->read.get(), out->write.get(), err->write.get());

  std::vector<std::string> argv{to_utf8(executable_path().wstring())};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  // CREATE_NO_WINDOW: a hidden console of its own, not the window's, so the
  // window's CTRL_CLOSE and the kill about 5 s after it never reach the run.
  // CREATE_BREAKAWAY_FROM_JOB: a launcher that put the window in a job may
  // close the job with the window; a job that forbids leaving it refuses
  // the flag, and the run is then started inside it (with a warning).
  const DWORD flags = CREATE_NO_WINDOW | EXTENDED_STARTUPINFO_PRESENT;
  PROCESS_INFORMATION info{};
  auto create = [&](DWORD extra) {
    auto line = command_line(argv);
    return CreateProcessW(nullptr, line.data(), nullptr, nullptr, TRUE, flags | extra, nullptr,
                          nullptr, startup.get(), &info) != 0;
  };
  bool created = create(CREATE_BREAKAWAY_FROM_JOB);
  DWORD error = created ? 0 : GetLastError();
  if (!created && error == ERROR_ACCESS_DENIED) {
    spdlog::warn("this window's job does not let the run leave it: if whatever started the "
                 "window ends that job, the run and the engine end with it");
    created = create(0);
    error = created ? 0 : GetLastError();
  }
  if (!created) {
    return Error{ExitCode::kIoError,
                 "cannot start the detached run (" + argv.front() + "): " + win32_error_text(error)};
  }
  return std::unique_ptr<DetachedRun>(std::make_unique<WindowsDetachedRun>(
      info, std::move(out->read), std::move(err->read), std::move(channel->write)));
}

void prepare_detached_run() {}

std::size_t read_viewer_channel(char* buffer, std::size_t size) {
  DWORD read = 0;
  if (!ReadFile(GetStdHandle(STD_INPUT_HANDLE), buffer, static_cast<DWORD>(size), &read, nullptr)) {
    return 0;
  }
  return read;
}

}  // namespace es
