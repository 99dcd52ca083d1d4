#include "tessera/formats/gdal_session.hpp"

#include <cpl_error.h>
#include <gdal.h>

#include <mutex>

#include "format_common.hpp"

namespace tessera::formats {

GdalSession::GdalSession() {
  static std::once_flag registered;
  std::call_once(registered, [] { GDALAllRegister(); });
  // GDAL prints problems to stderr by default; here they become our exceptions instead.
  CPLPushErrorHandler(CPLQuietErrorHandler);
  CPLErrorReset();
}

GdalSession::~GdalSession() {
  CPLPopErrorHandler();
}

std::string GdalSession::reason() {
  const std::string message = one_line(CPLGetLastErrorMsg());
  return message.empty() ? "" : " (" + message + ")";
}

bool GdalSession::failed() {
  return CPLGetLastErrorType() >= CE_Failure;
}

}  // namespace tessera::formats
