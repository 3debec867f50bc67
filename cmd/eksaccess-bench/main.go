// Command eksaccess-bench is eksaccess's load harness. It seeds a database, starts
// `eksaccess serve --auth sigv4` on it, drives the server over HTTP with SigV4-signed EKS
// requests and webhook reviews at a chosen concurrency, and reports throughput and
// p50/p99/p99.9 latency of each operation. In the same run it measures a trivial net/http JSON
// handler (its own process, same machine) as the ceiling and prints every throughput as a
// ratio to it: the machine is shared and noisy, ratios are the figures.
//
//	go build -o /tmp/eksaccess ./cmd/eksaccess && go build -o /tmp/eksaccess-bench ./cmd/eksaccess-bench
//	/tmp/eksaccess-bench -eksaccess /tmp/eksaccess -duration 5s -concurrency 16
//
// See docs/performance.md for the figures and what each scenario seeds.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

type config struct {
	eksaccess     string
	dir           string
	duration      time.Duration
	concurrency   int
	scenarios     []string
	largeEntries  int
	manyClusters  int
	manyEntries   int
	createRoles   int
	createCluster int
	newClusters   int
	tokens        int
	serveArgs     []string
	profileDir    string
	quiet         bool
	dsnOptions    string
	writeConc     int
	wrk           string        // the wrk binary; "" for the Go client only
	wrkDuration   time.Duration // how long each wrk measurement runs
	wrkScenarios  []string      // the scenarios whose operations wrk also measures
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "ceiling" {
		serveCeiling()
		return
	}
	os.Exit(benchMain(os.Args[1:], os.Stdout, os.Stderr))
}

func benchMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eksaccess-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var scenarios, serveArgs, wrkScenarios string
	fs.StringVar(&c.eksaccess, "eksaccess", "eksaccess", "the eksaccess binary to start (path, or a name on PATH)")
	fs.StringVar(&c.dir, "dir", "", "working directory for databases, identities and server logs (default: a new temporary directory, removed at exit)")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "how long each measurement runs")
	fs.IntVar(&c.concurrency, "concurrency", 16, "concurrent requests (connections) of each measurement")
	fs.StringVar(&scenarios, "scenarios", "small,large,many", "comma-separated scenarios: small (10-entry cluster: every operation), large (one cluster with -large-entries entries), many (-many-clusters clusters of -many-entries entries), recording (the webhooks with activity recording off and on)")
	fs.IntVar(&c.largeEntries, "large-entries", 100000, "access entries of the large scenario's cluster")
	fs.IntVar(&c.manyClusters, "many-clusters", 1000, "clusters of the many scenario")
	fs.IntVar(&c.manyEntries, "many-entries", 100, "access entries per cluster of the many scenario")
	fs.IntVar(&c.createRoles, "create-roles", 1000, "IAM roles in the identities file for CreateAccessEntry (creates = roles x clusters at most)")
	fs.IntVar(&c.createCluster, "create-clusters", 60, "empty clusters the measured CreateAccessEntry calls fill")
	fs.IntVar(&c.newClusters, "new-clusters", 20000, "distinct clusters signed ahead for the CreateCluster measurement (at most that many creates)")
	fs.IntVar(&c.tokens, "tokens", 40000, "distinct tokens minted ahead for the uncached TokenReview measurement (each is verified once)")
	fs.StringVar(&serveArgs, "serve-args", "", "extra arguments for `eksaccess serve`, space-separated")
	fs.StringVar(&c.dsnOptions, "dsn-options", "", "driver options appended to the servers' sqlite DSN, e.g. _pragma=synchronous(NORMAL)")
	fs.IntVar(&c.writeConc, "write-concurrency", 0, "concurrency of the CreateAccessEntry, CreateCluster and AssociateAccessPolicy measurements (default: -concurrency)")
	fs.StringVar(&c.profileDir, "profile-dir", "", "start the server with --pprof-listen and save a CPU profile of every measurement here")
	fs.BoolVar(&c.quiet, "quiet", false, "print only the final table")
	fs.StringVar(&c.wrk, "wrk", "wrk", "also measure the GET and webhook operations and the ceiling with this wrk binary (a light C client) and report both clients' figures; empty: the Go client only")
	fs.DurationVar(&c.wrkDuration, "wrk-duration", 0, "how long each wrk measurement runs (default: -duration)")
	fs.StringVar(&wrkScenarios, "wrk-scenarios", "", "comma-separated scenarios whose operations wrk also measures (default: every one of -scenarios); wrk's ceiling is measured up to the last of them")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c.scenarios = splitList(scenarios)
	c.serveArgs = strings.Fields(serveArgs)
	c.wrkScenarios = c.scenarios
	if wrkScenarios != "" {
		c.wrkScenarios = splitList(wrkScenarios)
		for _, sc := range c.wrkScenarios {
			if !slices.Contains(c.scenarios, sc) {
				fmt.Fprintf(stderr, "eksaccess-bench: -wrk-scenarios %s: not one of -scenarios %s\n", sc, strings.Join(c.scenarios, ","))
				return 2
			}
		}
	}
	if c.wrkDuration <= 0 {
		c.wrkDuration = c.duration
	}
	if c.wrk != "" {
		p, err := exec.LookPath(c.wrk)
		if err != nil {
			fmt.Fprintf(stderr, "eksaccess-bench: -wrk %s: %v (install wrk, or pass -wrk '' for the Go client only)\n", c.wrk, err)
			return 2
		}
		c.wrk = p
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if c.dir == "" {
		d, err := os.MkdirTemp("", "eksaccess-bench-")
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer os.RemoveAll(d)
		c.dir = d
	}
	rep, err := benchRun(ctx, c, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "eksaccess-bench:", err)
		return 1
	}
	rep.print(stdout)
	if rep.failed() {
		return 1
	}
	return 0
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// proc is a child process: the ceiling server or eksaccess.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	if p.stdin != nil {
		p.stdin.Close()
	}
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// startCeiling starts `eksaccess-bench ceiling` and returns its base URL.
func startCeiling() (*proc, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(self, "ceiling")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	p := &proc{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		p.stop()
		return nil, "", fmt.Errorf("ceiling server: %w", err)
	}
	return p, "http://" + strings.TrimSpace(line), nil
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startServer starts eksaccess on dsn and waits until /healthz answers; it returns the time
// from exec to the first healthy answer (the start-up time: identities, migrations, index).
func startServer(ctx context.Context, c config, name, dsn, identities string) (*proc, string, string, time.Duration, error) {
	addr, err := freePort()
	if err != nil {
		return nil, "", "", 0, err
	}
	args := []string{"serve", "--listen", addr, "--database", dsn, "--auth", "sigv4", "--identities", identities, "--update-duration", "0"}
	pprofAddr := ""
	if c.profileDir != "" {
		if pprofAddr, err = freePort(); err != nil {
			return nil, "", "", 0, err
		}
		args = append(args, "--pprof-listen", pprofAddr)
	}
	args = append(args, c.serveArgs...)
	logf, err := os.Create(filepath.Join(c.dir, name+".log"))
	if err != nil {
		return nil, "", "", 0, err
	}
	cmd := exec.Command(c.eksaccess, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, "", "", 0, err
	}
	p := &proc{cmd: cmd}
	base := "http://" + addr
	hc := &http.Client{Timeout: time.Second}
	for {
		resp, err := hc.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(t0) > 5*time.Minute || ctx.Err() != nil {
			p.stop()
			return nil, "", "", 0, fmt.Errorf("eksaccess did not become healthy; see %s", logf.Name())
		}
		if cmd.ProcessState != nil {
			return nil, "", "", 0, fmt.Errorf("eksaccess exited; see %s", logf.Name())
		}
		time.Sleep(2 * time.Millisecond)
	}
	return p, base, pprofAddr, time.Since(t0), nil
}

// machine describes where the figures were measured.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs, %s %s/%s", model, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
