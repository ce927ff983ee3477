#pragma once
// Windows only (included by *_windows.cpp files alone): the STARTUPINFOEXW
// for a child that gets three handles as its stdin, stdout and stderr and
// inherits nothing else, whatever else in this process is inheritable
// (PROC_THREAD_ATTRIBUTE_HANDLE_LIST). Pass EXTENDED_STARTUPINFO_PRESENT
// and bInheritHandles TRUE to CreateProcessW. Neither copied nor moved: the
// attribute list points into it.

#include <windows.h>

#include <vector>

namespace es {

class ChildStartup {
 public:
  ChildStartup(HANDLE in, HANDLE out, HANDLE err);
  ~ChildStartup();
  ChildStartup(const ChildStartup&) = delete;
  ChildStartup& operator=(const ChildStartup&) = delete;

  STARTUPINFOW* get() { return &startup_.StartupInfo; }

 private:
  HANDLE inherited_[3];
  std::vector<char> attribute_storage_;
  STARTUPINFOEXW startup_{};
};

}  // namespace es
