#include "supervisor/platform/child_startup_windows.hpp"

namespace es {

ChildStartup::ChildStartup(HANDLE in, HANDLE out, HANDLE err) : inherited_{in, out, err} {
  SIZE_T size = 0;
  InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
  attribute_storage_.resize(size);
  auto* attributes = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(attribute_storage_.data());
  InitializeProcThreadAttributeList(attributes, 1, 0, &size);
  UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherited_,
                            sizeof inherited_, nullptr, nullptr);
  startup_.StartupInfo.cb = sizeof startup_;
  startup_.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  startup_.StartupInfo.hStdInput = in;
  startup_.StartupInfo.hStdOutput = out;
  startup_.StartupInfo.hStdError = err;
  startup_.lpAttributeList = attributes;
}

ChildStartup::~ChildStartup() { DeleteProcThreadAttributeList(startup_.lpAttributeList); }

}  // namespace es
