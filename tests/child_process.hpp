#pragma once
// Runs a piece of code in a child process and says how it ended, for tests of failures that a
// test process must survive: a full disk, a crash in a library, a hang.
//
//   const ChildEnd end = run_in_child([&] { write_volume(path); }, {.max_file_bytes = 16384});
//   EXPECT_EQ(end.how, ChildEnd::How::threw) << end.message;
//
// With max_file_bytes the child's files cannot grow past that size (RLIMIT_FSIZE, SIGXFSZ
// ignored): a write beyond it fails with EFBIG, as a write to a full disk fails with ENOSPC.
// The child leaves through exit(), so what a library does at exit (HDF5 closes its files) is
// part of the run. The code must not use gtest assertions: they would stay in the child.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace tessera::testing {

struct ChildEnd {
  enum class How { returned, threw, died };
  How how = How::died;
  std::string message;  // what() of the exception; how the child died
};

struct ChildLimits {
  uint64_t max_file_bytes = 0;  // 0: none
  unsigned max_seconds = 120;   // then SIGALRM ends it: a hang is a death
};

namespace detail {

inline void send(int fd, const std::string& text) {
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

inline std::string receive(int fd) {
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, size_t(n));
  return text;
}

}  // namespace detail

template <typename F>
ChildEnd run_in_child(F f, ChildLimits limits = {}) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("run_in_child: no pipe");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("run_in_child: cannot fork");
  if (pid == 0) {
    ::close(pipe_fds[0]);
    if (limits.max_file_bytes > 0) {
      ::signal(SIGXFSZ, SIG_IGN);
      const rlimit r{limits.max_file_bytes, limits.max_file_bytes};
      ::setrlimit(RLIMIT_FSIZE, &r);
    }
    ::alarm(limits.max_seconds);
    std::string report;
    try {
      f();
      report = "R";
    } catch (const std::exception& e) {
      report = std::string("E") + e.what();
    } catch (...) {
      report = "Ea non-standard exception";
    }
    detail::send(pipe_fds[1], report);
    ::close(pipe_fds[1]);
    std::exit(0);
  }
  ::close(pipe_fds[1]);
  const std::string report = detail::receive(pipe_fds[0]);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ChildEnd end;
  if (WIFSIGNALED(status)) {
    end.message = "killed by signal " + std::to_string(WTERMSIG(status)) +
                  (WTERMSIG(status) == SIGALRM ? " (time limit)" : "");
  } else if (WEXITSTATUS(status) != 0) {
    end.message = "exit status " + std::to_string(WEXITSTATUS(status)) + " after '" + report + "'";
  } else if (report.starts_with("R")) {
    end.how = ChildEnd::How::returned;
  } else if (report.starts_with("E")) {
    end.how = ChildEnd::How::threw;
    end.message = report.substr(1);
  } else {
    end.message = "no report";
  }
  return end;
}

}  // namespace tessera::testing
