#include "train/local_launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "base/errno_text.h"
#include "base/unique_fd.h"

namespace genre::train {

namespace {

volatile sig_atomic_t g_forward_signal = 0;

void remember_signal(int sig) { g_forward_signal = sig; }

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return "was killed by signal " + std::to_string(sig) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

void signal_all(const std::vector<pid_t>& pids, const std::vector<bool>& running, int sig) {
  for (size_t r = 0; r < pids.size(); ++r)
    if (running[r]) ::kill(pids[r], sig);
}

}  // namespace

int free_local_port() {
  const UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw std::runtime_error("cannot open a socket: " + errno_text(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("cannot find a free port on 127.0.0.1: " + errno_text(errno));
  return ntohs(addr.sin_port);
}

int launch_local_ranks(const std::string& exe, const std::vector<std::string>& args, int nproc) {
  const std::string port = std::to_string(free_local_port());
  struct sigaction forward {};
  forward.sa_handler = remember_signal;
  sigemptyset(&forward.sa_mask);
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &forward, &old_int);
  sigaction(SIGTERM, &forward, &old_term);

  std::vector<pid_t> pids(static_cast<size_t>(nproc), -1);
  std::vector<bool> running(static_cast<size_t>(nproc), false);
  for (int r = 0; r < nproc; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      const int err = errno;  // before signal_all's kill() calls
      signal_all(pids, running, SIGKILL);
      throw std::runtime_error("cannot start rank " + std::to_string(r) + ": " + errno_text(err));
    }
    if (pid == 0) {
      // Default dispositions, even where the launcher's shell ignored SIGINT
      // (a background job): a forwarded signal must stop the rank.
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      setenv("RANK", std::to_string(r).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", port.c_str(), 1);
      std::vector<char*> argv{const_cast<char*>(exe.c_str())};
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(exe.c_str(), argv.data());
      std::fprintf(stderr, "genre-train: cannot run %s: %s\n", exe.c_str(), std::strerror(errno));
      std::_Exit(127);
    }
    pids[static_cast<size_t>(r)] = pid;
    running[static_cast<size_t>(r)] = true;
  }

  int remaining = nproc, result = 0, interrupted_by = 0;
  bool stopping = false;
  auto stop_deadline = std::chrono::steady_clock::time_point::max();
  while (remaining > 0) {
    if (g_forward_signal != 0) {
      interrupted_by = g_forward_signal;
      g_forward_signal = 0;
      signal_all(pids, running, interrupted_by);
      stopping = true;  // the ranks it stops are not failures to report
      stop_deadline = std::min(stop_deadline, std::chrono::steady_clock::now() + std::chrono::seconds(10));
    }
    if (stopping && std::chrono::steady_clock::now() > stop_deadline) {
      signal_all(pids, running, SIGKILL);  // a rank that ignores SIGTERM
      stop_deadline = std::chrono::steady_clock::time_point::max();
    }
    // Polled (a signal landing just before a blocking wait would wait for a
    // rank to end), and every rank that ended since the last poll at once.
    std::vector<std::pair<int, int>> ended;  // rank, wait status
    for (;;) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid < 0 && errno == EINTR) continue;
      if (pid < 0 && errno == ECHILD) remaining = 0;
      if (pid <= 0) break;
      for (int r = 0; r < nproc; ++r)
        if (pids[static_cast<size_t>(r)] == pid && running[static_cast<size_t>(r)]) {
          running[static_cast<size_t>(r)] = false;
          --remaining;
          ended.emplace_back(r, status);
        }
    }
    if (ended.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (stopping) continue;
    // Of ranks that ended together, one killed by a signal is the cause; the others noticed it.
    const std::pair<int, int>* cause = nullptr;
    for (const auto& e : ended)
      if (!cause && WIFSIGNALED(e.second)) cause = &e;
    for (const auto& e : ended)
      if (!cause && !(WIFEXITED(e.second) && WEXITSTATUS(e.second) == 0)) cause = &e;
    if (!cause) continue;
    std::fprintf(stderr, "genre-train: rank %d of %d %s; stopping the other ranks\n", cause->first, nproc,
                 describe_status(cause->second).c_str());
    result = WIFEXITED(cause->second) ? WEXITSTATUS(cause->second) : 1;
    stopping = true;
    signal_all(pids, running, SIGTERM);
    stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (interrupted_by != 0 && result == 0) {
    const char* name = sigabbrev_np(interrupted_by);
    std::fprintf(stderr, "genre-train: interrupted (SIG%s): stopped the %d ranks; continue with --resume\n",
                 name ? name : "?", nproc);
    return 128 + interrupted_by;
  }
  return result;
}

}  // namespace genre::train
