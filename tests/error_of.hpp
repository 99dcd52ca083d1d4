#pragma once
// The message of the exception a call throws (runtime_error for bad data, invalid_argument for
// bad settings), for tests that check what an error says: "" and a test failure when it throws
// none.
//
//   EXPECT_HAS(error_of([&] { read_coco(path); }), "no such file");
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "tessera/io/settings.hpp"

namespace tessera::testing {

template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception";
  return "";
}

// The setting a call's SettingError names: "" and a test failure when it throws another error or
// none.
template <typename F>
std::string setting_of(F f) {
  try {
    f();
  } catch (const SettingError& e) {
    return e.setting();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a SettingError: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no exception";
  return "";
}

}  // namespace tessera::testing

#define EXPECT_HAS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "'" << (text) << "'"
