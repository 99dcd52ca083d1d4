#pragma once
// One reader for settings held as JSON: optimizer and schedule settings, module configs,
// application configs read from YAML or JSON. Errors name where the setting sits
// ("config run.yaml: periods.train: ends before it starts"), a setting of the wrong type is an
// error, and unknown keys are refused, so a misspelt setting never falls back to its default
// unnoticed.
//
//   Settings s(j, "optimizer sgd");
//   s.only({"momentum", "weight_decay"});
//   o.momentum = s.get("momentum", o.momentum);   // absent: the default stays
//   Settings m = s.child("model");                // its errors say "model.hidden: ..."
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tessera {

// A bad value of one setting of a library call (an options struct's field), named by the
// setting: "patch: must be a multiple of 8". Library messages name settings, never command-line
// flags; the command line, which knows which flag sets which setting, says the flag instead.
class SettingError : public std::invalid_argument {
 public:
  SettingError(std::string setting, const std::string& message)
      : std::invalid_argument(setting + ": " + message),
        setting_(std::move(setting)),
        message_(message) {}
  const std::string& setting() const { return setting_; }
  const std::string& message() const { return message_; }

 private:
  std::string setting_, message_;
};

class Settings {
 public:
  // `what` names the document in errors ("config run.yaml", "optimizer sgd", may be empty);
  // `path` is where `j` sits in it ("model", "inputs[2]"; empty: the top).
  Settings(const nlohmann::json& j, std::string what, std::string path = "");

  const nlohmann::json& json() const { return *j_; }
  const std::string& what() const { return what_; }
  const std::string& path() const { return path_; }
  // The path of `key` below this one ("model.hidden"); the path itself when `key` is empty.
  std::string key_path(std::string_view key) const;

  bool has(std::string_view key) const;
  // Throws "<what>: <path.key>: <message>"; an empty key names this object.
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;
  // Throws for a key that `known` does not list, naming the known ones. Also refuses a value
  // that is not an object.
  void only(std::initializer_list<std::string_view> known) const;
  void only(const std::vector<std::string>& known) const;

  // The value of `key` as T, or `fallback` when it is absent (or null).
  template <typename T>
  T get(std::string_view key, T fallback) const {
    if (!has(key)) return fallback;
    return as<T>(key);
  }
  // Shorthand for string settings, which would otherwise deduce const char*.
  std::string get(std::string_view key, const char* fallback) const {
    return get<std::string>(key, std::string(fallback));
  }
  // The value of `key` as T; throws when it is absent.
  template <typename T>
  T require(std::string_view key) const {
    if (!has(key)) fail(key, "missing");
    return as<T>(key);
  }
  // field = value of `key`, when present.
  template <typename T>
  void read(std::string_view key, T& field) const {
    if (has(key)) field = as<T>(key);
  }
  // A name or a list of names (a string is a list of one); empty when absent.
  std::vector<std::string> names(std::string_view key) const;

  // The object at `key` (an empty object when absent); its errors name "path.key".
  Settings child(std::string_view key) const;
  // Element i of the array at `key`; its errors name "path.key[i]".
  Settings element(std::string_view key, std::size_t i) const;
  // The number of elements of the array at `key` (0 when absent); throws when not an array.
  std::size_t size(std::string_view key) const;

 private:
  template <typename T>
  T as(std::string_view key) const {
    const nlohmann::json& v = j_->at(std::string(key));
    try {
      return v.get<T>();
    } catch (const nlohmann::json::exception&) {
      fail(key, "has the wrong type: " + v.dump());
    }
  }

  const nlohmann::json* j_;
  std::string what_, path_;
  // Keeps the empty object child() returns for an absent key alive with the view.
  std::shared_ptr<const nlohmann::json> owned_;
};

}  // namespace tessera
