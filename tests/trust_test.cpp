// What makes diffcheck trustworthy on any machine: campaigns bounded by cases give the same
// findings every run, signals stop every command cleanly, bad input is refused with the
// key and the range, findings are never lost or overwritten, and the CLI says what it does.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/corpus.hpp"
#include "harness/fault_capture.hpp"
#include "harness/fuzz.hpp"
#include "harness/runner.hpp"
#include "run_cli.hpp"

namespace {

namespace fs = std::filesystem;
using dc::test::run_cli;

class Trust : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("diffcheck-trust-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static std::string read(const std::string& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  // The shapes of the `finding` events a campaign streamed (--events FILE).
  static std::multiset<std::string> finding_shapes(const std::string& events) {
    std::multiset<std::string> out;
    std::istringstream lines(read(events));
    for (std::string line; std::getline(lines, line);) {
      const nlohmann::json e = nlohmann::json::parse(line);
      if (e["event"] == "finding") out.insert(e["shape"].get<std::string>());
    }
    return out;
  }

  fs::path dir_;
};

// Starts the CLI in the background; its output goes to `log`.
pid_t start_cli(const std::string& args, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string command =
        std::string("exec ") + DIFFCHECK_BIN + " " + args + " >" + log + " 2>&1";
    execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Waits (up to ten minutes: a bound for a broken build, not a speed assumption) until `file`
// contains `text`.
bool wait_for(const std::string& file, const std::string& text) {
  for (int i = 0; i < 6000; ++i) {
    std::ifstream in(file);
    const std::string s{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (s.find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// The processes whose parent is `pid` (its case processes).
std::vector<pid_t> children(pid_t pid) {
  std::vector<pid_t> out;
  for (const auto& d : fs::directory_iterator("/proc")) {
    std::ifstream stat(d.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    pid_t parent = 0;
    rest >> state >> parent;
    if (parent == pid) out.push_back(static_cast<pid_t>(std::stoi(d.path().filename().string())));
  }
  return out;
}

// Whether a process is still running (not gone, not a zombie): a case process a stopped
// harness left behind would be.
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line) || line.rfind(')') == std::string::npos) return false;
  return line[line.rfind(')') + 2] != 'Z';
}

// Waits (a bound for a broken build, not a speed assumption) until `pid` has a case process,
// and returns them.
std::vector<pid_t> wait_for_children(pid_t pid) {
  for (int i = 0; i < 60000; ++i) {
    if (std::vector<pid_t> c = children(pid); !c.empty()) return c;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

// After a stop: none of the case processes seen before it still runs (ended by the harness,
// or by the kernel as their parent died).
void expect_ended(const std::vector<pid_t>& cases) {
  for (int i = 0; i < 1000; ++i) {
    if (std::none_of(cases.begin(), cases.end(), running)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "a case process outlived the harness";
}

TEST_F(Trust, NumbersThatAreNotFiniteAndImpossibleCountsAreRefused) {
  for (const char* bad :
       {"fuzz --kernel defect_hang --time nan", "fuzz --kernel defect_hang --time inf",
        "--shape 'defect_hang:n=1' --timeout nan", "--shape 'defect_hang:n=1' --mem-budget inf",
        "replay corpus/defect --jobs 10000", "fuzz --kernel defect_hang --seed -1",
        "minimize --shape 'defect_hang:n=1' --budget nan"}) {
    const auto r = run_cli(bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.output;
    EXPECT_LT(r.output.size(), 2000u) << r.output;  // a message, not a page
  }
  EXPECT_NE(run_cli("fuzz --kernel defect_hang --time nan").output.find("not finite"),
            std::string::npos);
  EXPECT_NE(run_cli("fuzz --kernel defect_hang --seed -1").output.find("[0, 2^64-1]"),
            std::string::npos);
  const auto range = run_cli("--shape 'defect_hang:n=1' --mem-budget -1");
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_EQ(range.output.find("17976931348623"), std::string::npos) << range.output;  // DBL_MAX
  EXPECT_NE(range.output.find("valid: a non-negative number"), std::string::npos) << range.output;
}

TEST_F(Trust, TheCliSuggestsTheNameMeantAndTakesTheUsualAliases) {
  const auto version = run_cli("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.output.find("diffcheck 0."), std::string::npos) << version.output;
  EXPECT_NE(version.output.find("JSON schema version 1"), std::string::npos) << version.output;
  EXPECT_NE(run_cli("fuz").output.find("did you mean 'fuzz'"), std::string::npos);
  EXPECT_NE(run_cli("fuzz --kernel defect_hang --tiem 3").output.find("did you mean '--time'"),
            std::string::npos);
  EXPECT_NE(run_cli("--shape 'chunk_local_cumsm:T=64,H=1'")
                .output.find("did you mean 'chunk_local_cumsum'"),
            std::string::npos);
  EXPECT_NE(run_cli("--shape 'chunk_local_cumsum:T=64,HH=1'").output.find("did you mean 'H'"),
            std::string::npos);
  const auto alias =
      run_cli("--shape 'chunk_gated_delta_rule_fwd_h:T=64,H=1,K=8,V=8,dtype=float32,index=int32'");
  EXPECT_EQ(alias.exit_code, 0) << alias.output;
  EXPECT_NE(alias.output.find("dtype=fp32"), std::string::npos) << alias.output;
  EXPECT_NE(alias.output.find("index=i32"), std::string::npos) << alias.output;
  const auto one = run_cli("list chunk_local_cumsum");
  EXPECT_EQ(one.exit_code, 0);
  EXPECT_NE(one.output.find("chunk_local_cumsum"), std::string::npos);
  EXPECT_EQ(one.output.find("solve_tril"), std::string::npos) << one.output;
  const auto help = run_cli("--help");
  EXPECT_NE(help.output.find("Exit codes:"), std::string::npos);
  EXPECT_NE(run_cli("fuzz --help").output.find("=60"), std::string::npos);  // defaults shown
  std::ofstream(path("huge")) << "chunk_local_cumsum:T=64,H=1," << std::string(1 << 20, 'x')
                              << "=1\n";
  const auto key = run_cli("--shapes-from " + path("huge"));
  EXPECT_EQ(key.exit_code, 2);
  EXPECT_LT(key.output.size(), 2000u);  // a 1 MB key is not echoed whole
}

TEST_F(Trust, SeveralShapesEndWithATallyAndReproLinesKeepTheirOptions) {
  std::ofstream(path("shapes"))
      << "# a comment\ndefect_overrun_write:n=3\n\ndefect_overrun_write:n=3,seed=1\n";
  const auto r = run_cli("--shapes-from " + path("shapes") +
                         " --shape 'chunk_local_cumsum:T=64,H=1' --timeout 30");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("3 of 3 cases run: 2 oob_write, 1 pass"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--timeout 30\n"), std::string::npos) << r.output;
}

TEST_F(Trust, ExplainAndReplaySpeakVersionedJson) {
  const auto e =
      run_cli("explain --json --shape 'chunk_local_cumsum:B=1,T=300000000,H=8,index=i32'");
  ASSERT_EQ(e.exit_code, 0) << e.output;
  const nlohmann::json j = nlohmann::json::parse(e.output);
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_FALSE(j["offsets"].empty());
  const auto r = run_cli("replay --json " + std::string(DIFFCHECK_SOURCE_DIR) +
                         "/corpus/defect/overrun_write.shape");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::istringstream lines(r.output);
  std::string first, last;
  std::getline(lines, first);
  for (std::string l; std::getline(lines, l);) last = l;
  const nlohmann::json entry = nlohmann::json::parse(first), summary = nlohmann::json::parse(last);
  EXPECT_EQ(entry["verdict"], "oob_write");
  EXPECT_TRUE(entry["ok"].get<bool>());
  EXPECT_TRUE(entry.contains("first_bad"));  // every key present, null where it does not apply
  EXPECT_EQ(summary["event"], "summary");
  EXPECT_EQ(summary["as_expected"], 1);
}

// libFuzzer's -runs: a campaign bounded by cases runs the same cases and finds the same
// things on every run, however fast or busy the machine is.
TEST_F(Trust, ACampaignBoundedByCasesFindsTheSameEveryRun) {
  for (const char* events : {"a.jsonl", "b.jsonl"}) {
    const auto r = run_cli(
        "fuzz --kernel chunk_local_cumsum --index i32 --runs 12 --seed 3 "
        "--minimize-cases 4 --events " +
        path(events));
    EXPECT_EQ(r.exit_code, 1) << r.output;
  }
  const auto a = finding_shapes(path("a.jsonl")), b = finding_shapes(path("b.jsonl"));
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
}

TEST_F(Trust, AHangIsAFindingEvenInAShortCampaign) {
  const auto r =
      run_cli("fuzz --kernel defect_hang --runs 1 --minimize-cases 1 --out " + path("found"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("timeout"), std::string::npos) << r.output;
  EXPECT_EQ(dc::corpus_files({path("found")}).size(), 1u);
}

TEST_F(Trust, TwoCampaignsSharingAFolderKeepEachOthersFindings) {
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(run_cli("fuzz --kernel defect_overrun_write --runs 1 --minimize-cases 0 "
                      "--minimize-time 0 --out " +
                      path("found"))
                  .exit_code,
              1);
  const auto files = dc::corpus_files({path("found")});
  ASSERT_EQ(files.size(), 2u);  // the same finding twice: two files, neither overwritten
  EXPECT_EQ(dc::read_corpus_entry(files[0]).shape, dc::read_corpus_entry(files[1]).shape);
}

TEST_F(Trust, AFolderThatCannotTakeFindingsIsAnErrorAndNothingIsLeftBehind) {
  std::ofstream(path("file")) << "not a folder\n";
  const auto r = run_cli("fuzz --kernel defect_overrun_write --runs 2 --out " + path("file/sub"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("--out"), std::string::npos) << r.output;
  // the folder fails later (it is taken away): the campaign stops, it neither hangs nor aborts
  for (const int jobs : {1, 2}) {
    dc::FuzzOptions o = dc::FuzzOptions::bounded_by_cases("defect_overrun_write", "i32", 6);
    o.jobs = jobs;
    o.out = path("file/sub");
    std::ostringstream progress;
    const dc::FuzzSummary s = dc::fuzz(o, progress);
    EXPECT_NE(s.error.find("cannot write a finding"), std::string::npos) << progress.str();
    EXPECT_TRUE(s.files.empty());
  }
  for (const auto& f : fs::directory_iterator(dir_))  // no temporary file left
    EXPECT_EQ(f.path().filename().string().find(".tmp"), std::string::npos) << f.path();
  EXPECT_THROW(dc::write_file_atomically(path("missing/x"), "text"), std::runtime_error);
}

// SIGINT in the middle of a campaign: every finding kept and replayable, the reports whole,
// the documented exit code (130), and no case process left behind.
TEST_F(Trust, SigintInACampaignKeepsFindingsAndWritesTheReports) {
  const pid_t pid = start_cli(
      "fuzz --kernel chunk_gated_delta_rule_fwd_h --index i32 --runs 100000 "
      "--out " +
          path("found") + " --report " + path("report") + " --events " + path("events"),
      path("log"));
  ASSERT_TRUE(wait_for(path("events"), "\"event\":\"finding\"")) << read(path("log"));
  const std::vector<pid_t> cases = children(pid);
  kill(pid, SIGINT);
  EXPECT_EQ(wait_exit(pid), 130) << read(path("log"));
  expect_ended(cases);
  const nlohmann::json report = nlohmann::json::parse(read(path("report/report.json")));
  EXPECT_EQ(report["stopped_by"], "SIGINT");
  EXPECT_FALSE(report["cases"].empty());
  EXPECT_NE(read(path("report/report.html")).find("</html>"), std::string::npos);
  EXPECT_NE(read(path("report/junit.xml")).find("</testsuites>"), std::string::npos);
  const auto files = dc::corpus_files({path("found")});
  ASSERT_FALSE(files.empty());
  for (const auto& f : files)
    EXPECT_EQ(read(f.string()).find("minimized: not yet"), std::string::npos) << f;
  const auto replay = run_cli("replay " + path("found"));
  EXPECT_EQ(replay.exit_code, 0) << replay.output;
  EXPECT_NE(read(path("log")).find("stopped by SIGINT"), std::string::npos);
}

// SIGTERM during a replay (its entry hangs until its timeout): the case process is ended, the
// report says what ran, exit 143.
TEST_F(Trust, SigtermStopsAReplayWithItsReport) {
  fs::create_directories(path("corpus"));
  std::ofstream(path("corpus/a.shape"))
      << "defect_overrun_write:n=3\n# expect: oob_write\n# origin: test\n";
  std::ofstream(path("corpus/b.shape")) << "defect_hang:n=8\n# expect: timeout\n# origin: test\n";
  const pid_t pid = start_cli(
      "replay " + path("corpus") + " --timeout 600 --report " + path("report"), path("log"));
  ASSERT_TRUE(wait_for(path("log"), "a.shape")) << read(path("log"));
  const std::vector<pid_t> cases = wait_for_children(pid);  // the hanging entry's process
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid), 143) << read(path("log"));
  expect_ended(cases);
  const nlohmann::json report = nlohmann::json::parse(read(path("report/report.json")));
  EXPECT_EQ(report["stopped_by"], "SIGTERM");
  EXPECT_EQ(report["cases"].size(), 1u);
  EXPECT_NE(read(path("log")).find("stopped by SIGTERM: 1 not run"), std::string::npos)
      << read(path("log"));
}

TEST_F(Trust, ASecondSignalEndsAtOnce) {
  const pid_t pid = start_cli("--shape 'defect_hang:n=8' --timeout 600", path("log"));
  const std::vector<pid_t> cases = wait_for_children(pid);
  ASSERT_FALSE(cases.empty());
  kill(pid, SIGINT);
  kill(pid, SIGINT);
  EXPECT_EQ(wait_exit(pid), 130);
  expect_ended(cases);
}

TEST_F(Trust, BadCorpusFilesNameTheFile) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"grid.shape",  // a (sequence, head) grid over the hardware's 65535 rows
       "chunk_gated_delta_rule_fwd_h:B=70000,T=64,H=1\n# expect: pass\n# origin: test\n"},
      {"twice.shape",
       "defect_overrun_write:n=3\n# expect: pass\n# expect: oob_write\n# origin: t\n"}};
  for (const auto& [name, text] : files) {
    const std::string folder = path(name + ".d");
    fs::create_directories(folder);
    std::ofstream(fs::path(folder) / name) << text;
    const auto r = run_cli("replay " + folder);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find(name), std::string::npos) << r.output;
  }
  fs::create_directories(path("loop"));
  fs::create_symlink(path("loop/b.shape"), path("loop/a.shape"));
  fs::create_symlink(path("loop/a.shape"), path("loop/b.shape"));
  const auto loop = run_cli("replay " + path("loop"));
  EXPECT_EQ(loop.exit_code, 2) << loop.output;
  EXPECT_NE(loop.output.find(".shape:0: Too many levels of symbolic links"), std::string::npos)
      << loop.output;
}

// A process that sends a segmentation signal with kill() is no access: no address to name.
TEST_F(Trust, ASignalSentByAnotherProcessIsNotAFault) {
  dc::SharedFaultRecord record;
  const pid_t pid = fork();
  if (pid == 0) {
    dc::use_fault_record(record.get());
    dc::install_fault_handlers();
    kill(getpid(), SIGSEGV);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(record.get().faulted, 0);
}

// A case process killed from outside (as the out-of-memory killer does) is said to be so,
// and is no finding.
TEST_F(Trust, ACaseKilledFromOutsideIsNotAFinding) {
  const pid_t pid = start_cli("--shape 'defect_hang:n=8' --timeout 600 --json", path("log"));
  const std::vector<pid_t> cases = wait_for_children(pid);
  ASSERT_EQ(cases.size(), 1u);
  kill(cases.front(), SIGKILL);
  EXPECT_EQ(wait_exit(pid), 1);
  const nlohmann::json v = nlohmann::json::parse(read(path("log")));
  EXPECT_EQ(v["verdict"], "error");
  EXPECT_TRUE(v["out_of_memory"].get<bool>());
}

TEST_F(Trust, MinimizeKeepsItsCaseBudget) {
  const auto r = run_cli(
      "minimize --shape 'chunk_local_cumsum:B=1,T=3827957,H=1122,BT=3,index=i32,seed=122' "
      "--budget 0 --cases 1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(", 1 cases run (the budget ran out"), std::string::npos) << r.output;
}

// Reports: failures first, paths relative to the corpus, fuzz findings not "expected: pass".
TEST_F(Trust, ReportsSayWhatHappened) {
  fs::create_directories(path("corpus/sub"));
  std::ofstream(path("corpus/sub/a.shape"))
      << "chunk_local_cumsum:T=64,H=1\n# expect: pass\n# origin: t\n";
  std::ofstream(path("corpus/sub/b.shape"))
      << "defect_overrun_write:n=3\n# expect: pass\n# origin: t\n";
  EXPECT_EQ(run_cli("replay " + path("corpus") + " --report " + path("r")).exit_code, 1);
  const std::string md = read(path("r/summary.md")), junit = read(path("r/junit.xml"));
  EXPECT_LT(md.find("❌"), md.find("✅")) << md;
  EXPECT_NE(junit.find("name=\"sub/a.shape\""), std::string::npos) << junit;
  EXPECT_EQ(junit.find(dir_.string()), std::string::npos) << junit;
  EXPECT_EQ(
      run_cli("fuzz --kernel defect_overrun_write --runs 2 --minimize-cases 0 --minimize-time 0 "
              "--out " +
              path("found") + " --report " + path("f"))
          .exit_code,
      1);
  const std::string fuzz_md = read(path("f/summary.md"));
  EXPECT_NE(fuzz_md.find("2 cases run"), std::string::npos) << fuzz_md;
  EXPECT_NE(fuzz_md.find("1 distinct findings"), std::string::npos) << fuzz_md;
  EXPECT_EQ(fuzz_md.find("| pass |"), std::string::npos) << fuzz_md;
}

// The verdict of a replay does not depend on --jobs: each case's budget is the machine's, and
// cases run at once only while their estimates fit beside each other.
TEST_F(Trust, AReplayedVerdictDoesNotDependOnJobs) {
  const std::string corpus = std::string(DIFFCHECK_SOURCE_DIR) + "/corpus/defect";
  const auto one = run_cli("replay --json " + corpus + " --jobs 1");
  const auto many = run_cli("replay --json " + corpus + " --jobs 64");
  EXPECT_EQ(one.exit_code, 0) << one.output;
  EXPECT_EQ(many.exit_code, 0) << many.output;
  dc::MemoryGate gate(100);
  gate.enter(80);
  std::atomic<bool> second{false};
  std::thread t([&] {
    gate.enter(30);  // waits: 80 + 30 > 100
    second = true;
    gate.leave(30);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(second.load());
  gate.leave(80);
  t.join();
  EXPECT_TRUE(second.load());
}

}  // namespace
