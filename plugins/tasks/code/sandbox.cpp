// Launching one sample under bubblewrap or under rlimits alone (see sandbox.h).
#include "tasks/code/sandbox.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include "tasks/code/sandbox_uids.h"
#include "tasks/common/text.h"

namespace remix::tasks::code {

namespace fs = std::filesystem;

const char* sandbox_name(SandboxKind kind) { return kind == SandboxKind::Bubblewrap ? "bubblewrap" : "rlimits"; }

namespace {

constexpr const char* kSandboxDir = "/sandbox";
const char* const kSystemDirs[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"};

// Tasks (processes and threads) of this uid right now: RLIMIT_NPROC counts them against the limit.
std::int64_t tasks_of_this_user() {
  std::int64_t tasks = 0;
  uid_t me = getuid();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    struct stat st {};
    if (stat(entry.path().c_str(), &st) != 0 || st.st_uid != me) continue;
    std::ifstream status(entry.path() / "status");
    for (std::string line; std::getline(status, line);)
      if (starts_with(line, "Threads:")) tasks += std::stoll(trim(line.substr(8)));
  }
  return tasks;
}

// Removes a sample's folder even if the program took the permissions off what it made.
void remove_tree(const std::string& path) {
  std::error_code ec;
  if (fs::remove_all(path, ec) != static_cast<std::uintmax_t>(-1) && !ec) return;
  for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec))
    fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path, ec);
}

constexpr const char* kRootPrefix = "remix-code-";
constexpr const char* kOwnerLock = ".owner.lock";

// The samples' folders of executors whose process died (a trial killed with SIGKILL cannot clean up): a live
// executor holds the flock of its folder's lock file, so a lock this process can take belongs to nobody.
void remove_orphaned_roots(const fs::path& temp) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(temp, ec)) {
    auto name = entry.path().filename().string();
    if (!starts_with(name, kRootPrefix) || !entry.is_directory(ec)) continue;
    int fd = ::open((entry.path() / kOwnerLock).c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;  // not one of ours, or still being made
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) remove_tree(entry.path().string());
    close(fd);
  }
}

// As root every sample runs as a uid of its own, so what that uid owns in the world-writable folders is what
// the sample left there: the folders' entries and, inside sticky shared folders, their entries too.
void remove_files_of(int uid) {
  for (const char* dir : {"/tmp", "/var/tmp", "/dev/shm"}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      struct stat st {};
      if (lstat(entry.path().c_str(), &st) != 0) continue;
      if (static_cast<int>(st.st_uid) == uid) {
        remove_tree(entry.path().string());
      } else if (S_ISDIR(st.st_mode) && (st.st_mode & S_IWOTH)) {
        std::error_code inner;
        for (const auto& child : fs::directory_iterator(entry.path(), inner)) {
          struct stat cst {};
          if (lstat(child.path().c_str(), &cst) == 0 && static_cast<int>(cst.st_uid) == uid)
            remove_tree(child.path().string());
        }
      }
    }
  }
}

}  // namespace

Sandbox::Sandbox(SandboxKind kind, std::string bwrap, PythonInterpreter python, SandboxSettings settings)
    : kind_(kind), bwrap_(std::move(bwrap)), python_(std::move(python)), settings_(std::move(settings)) {
  if (kind_ == SandboxKind::Rlimits) {
    auto temp = fs::temp_directory_path();
    remove_orphaned_roots(temp);
    std::string tmpl = (temp / (std::string(kRootPrefix) + "XXXXXX")).string();
    if (!mkdtemp(tmpl.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp " + tmpl);
    chmod(tmpl.c_str(), 0711);  // sample folders inside belong to the sandbox uids
    root_ = tmpl;
    root_lock_ = ::open((fs::path(root_) / kOwnerLock).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (root_lock_ < 0 || flock(root_lock_, LOCK_EX | LOCK_NB) != 0)
      throw std::system_error(errno, std::generic_category(), "lock " + root_);
  }
}

Sandbox::~Sandbox() {
  if (!root_.empty()) remove_tree(root_);
  if (root_lock_ >= 0) close(root_lock_);
}

LaunchSpec Sandbox::launch_spec(const std::string& script, const std::string& input, const std::string& secret,
                                int uid, const std::string& workdir) const {
  LaunchSpec spec;
  std::string home = kind_ == SandboxKind::Bubblewrap ? kSandboxDir : workdir;
  if (kind_ == SandboxKind::Bubblewrap) {
    std::string scratch = std::to_string(settings_.scratch_bytes);
    // --as-pid-1: the interpreter is the pid namespace's init, so bubblewrap waits for it directly. With
    // bubblewrap's own init in between, bubblewrap exits first and leaves that init to the system's init to
    // reap, which can take a second, and the uid is not free until then.
    spec.argv = {bwrap_, "--unshare-all", "--die-with-parent", "--new-session", "--as-pid-1"};
    auto ro_bind = [&](const std::string& dir) { spec.argv.insert(spec.argv.end(), {"--ro-bind-try", dir, dir}); };
    for (const char* dir : kSystemDirs) ro_bind(dir);
    for (const auto& prefix : python_.prefixes)
      if (!starts_with(prefix, "/usr/") && prefix != "/usr") ro_bind(prefix);
    spec.argv.insert(spec.argv.end(), {"--proc", "/proc", "--dev", "/dev", "--size", scratch, "--tmpfs", "/tmp",
                                       "--size", scratch, "--tmpfs", kSandboxDir, "--chdir", kSandboxDir, "--"});
  }
  spec.argv.insert(spec.argv.end(), {python_.executable, "-s", "-B", "-c", script, settings_.label});
  // The whole environment: nothing of this process's leaks in. PYTHONHASHSEED fixes the order of sets of
  // strings, which some reference solutions and tests depend on.
  spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin",
              "HOME=" + home,
              "TMPDIR=" + home,
              "TEMP=" + home,
              "TMP=" + home,
              "LANG=C.UTF-8",
              "LC_ALL=C.UTF-8",
              "PYTHONHASHSEED=0",
              "PYTHONDONTWRITEBYTECODE=1",
              "PYTHONIOENCODING=utf-8"};
  spec.cwd = kind_ == SandboxKind::Bubblewrap ? "/" : workdir;
  spec.input = input;
  spec.secret = secret;
  spec.limits = settings_.limits;
  // RLIMIT_NPROC counts every task of the uid: bubblewrap and the interposed parent add one; a uid shared
  // with other processes adds theirs.
  std::int64_t overhead = 1;
  if (uid < 0) overhead += tasks_of_this_user();
  spec.limits.processes = settings_.limits.processes + overhead;
  spec.uid = uid;
  spec.gid = uid;
  spec.interpose = kind_ == SandboxKind::Rlimits;
  return spec;
}

ProcessResult Sandbox::run(const std::string& script, const std::string& input, const std::string& secret,
                           int uid) const {
  std::string workdir;
  if (kind_ == SandboxKind::Rlimits) {
    workdir = root_ + "/sample-XXXXXX";
    if (!mkdtemp(workdir.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp " + workdir);
    if (uid >= 0 && chown(workdir.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(uid)) != 0)
      throw std::system_error(errno, std::generic_category(), "chown " + workdir);
  }
  std::function<void()> kill_leftovers;
  if (uid >= 0) kill_leftovers = [uid] { SandboxUids::kill_all(uid); };
  ProcessResult result = run_process(launch_spec(script, input, secret, uid, workdir), kill_leftovers);
  if (!workdir.empty()) remove_tree(workdir);
  if (kind_ == SandboxKind::Rlimits && uid >= 0) remove_files_of(uid);
  return result;
}

}  // namespace remix::tasks::code
