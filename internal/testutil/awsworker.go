package testutil

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// Each `aws` process spends nearly all its CPU (about 0.4 s) starting Python and importing
// aws-cli; the commands themselves are cheap. RunAWS therefore hands commands to warm
// workers: Python processes that have imported the installed aws-cli once and run each
// command through its own entry point (awscli.clidriver, a fresh driver and session per
// command, the command's environment, stdout and stderr captured) — what the `aws` script
// does, without a new interpreter per command. A worker is used only when its aws-cli
// reports the same `--version` line as the `aws` on PATH; otherwise (or with
// EKSACCESS_TEST_AWSCLI=exec) every command is a fresh `aws` process.
// TestReadmeRunsTopToBottom always runs the `aws` executable, through bash.

// AWSCLIEnv set to "exec" runs every aws-cli command as its own `aws` process.
const AWSCLIEnv = "EKSACCESS_TEST_AWSCLI"

// awsWorkerScript reads one JSON request a line on stdin ({"args": [...], "env": {...}})
// and answers each on fd 3 ({"stdout", "stderr", "rc"}); its first line is the version.
const awsWorkerScript = `
import io, json, os, sys, traceback
reply = os.fdopen(3, "w", encoding="utf-8")
env = dict(os.environ)
import awscli, awscli.clidriver
awscli_data = os.path.join(os.path.dirname(os.path.abspath(awscli.__file__)), "data")

def run(args, env):
    os.environ.clear()
    os.environ.update(env)
    # What importing awscli does to the environment of a fresh aws process.
    paths = []
    if "AWS_DATA_PATH" in env:
        paths = [os.path.expanduser(os.path.expandvars(p)) for p in env["AWS_DATA_PATH"].split(os.pathsep)]
    os.environ["AWS_DATA_PATH"] = os.pathsep.join(paths + [awscli_data])
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    sys.stdout, sys.stderr = out, err
    try:
        rc = awscli.clidriver.create_clidriver().main(args)
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        traceback.print_exc()
        rc = 255
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    return {"stdout": out.buffer.getvalue().decode("utf-8", "replace"),
            "stderr": err.buffer.getvalue().decode("utf-8", "replace"), "rc": (rc or 0) & 255}

reply.write(json.dumps(run(["--version"], env)) + "\n")
reply.flush()
for line in sys.stdin:
    req = json.loads(line)
    reply.write(json.dumps(run(req["args"], req["env"])) + "\n")
    reply.flush()
`

type awsWorker struct {
	cmd   *exec.Cmd
	stdin io.Closer
	in    *json.Encoder
	reply *bufio.Reader
}

type awsResult struct {
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	RC     int    `json:"rc"`
}

var awsPool struct {
	sync.Mutex
	checked bool
	python  string // the worker interpreter; "" runs every command as an `aws` process
	version string // `aws --version`
	idle    []*awsWorker
}

// RunAWS runs `aws args...` with env and returns its stdout, stderr and exit code; err is
// set when the command could not be run at all.
func RunAWS(env []string, args ...string) (stdout, stderr string, code int, err error) {
	if w := getAWSWorker(); w != nil {
		m := map[string]string{}
		for _, kv := range env {
			if k, v, ok := strings.Cut(kv, "="); ok {
				m[k] = v
			}
		}
		var r awsResult
		if err := w.do(map[string]any{"args": args, "env": m}, &r); err == nil {
			putAWSWorker(w)
			return r.Stdout, r.Stderr, r.RC, nil
		}
		w.cmd.Process.Kill()
		w.cmd.Wait()
	}
	return execAWS(env, args...)
}

func execAWS(env []string, args ...string) (stdout, stderr string, code int, err error) {
	cmd := exec.Command("aws", args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), errb.String(), ee.ExitCode(), nil
	}
	if err != nil {
		return out.String(), errb.String(), -1, err
	}
	return out.String(), errb.String(), 0, nil
}

func (w *awsWorker) do(req any, r *awsResult) error {
	if err := w.in.Encode(req); err != nil {
		return err
	}
	line, err := w.reply.ReadBytes('\n')
	if err != nil {
		return err
	}
	return json.Unmarshal(line, r)
}

func getAWSWorker() *awsWorker {
	awsPool.Lock()
	if !awsPool.checked {
		awsPool.checked = true
		var first *awsWorker
		awsPool.python, awsPool.version, first = awsWorkerPython()
		if first != nil {
			awsPool.Unlock()
			return first
		}
	}
	if awsPool.python == "" {
		awsPool.Unlock()
		return nil
	}
	if n := len(awsPool.idle); n > 0 {
		w := awsPool.idle[n-1]
		awsPool.idle = awsPool.idle[:n-1]
		awsPool.Unlock()
		return w
	}
	python, version := awsPool.python, awsPool.version
	awsPool.Unlock()
	w, v, err := startAWSWorker(python)
	if err != nil || v != version {
		if w != nil {
			w.cmd.Process.Kill()
			w.cmd.Wait()
		}
		return nil
	}
	return w
}

func putAWSWorker(w *awsWorker) {
	awsPool.Lock()
	awsPool.idle = append(awsPool.idle, w)
	awsPool.Unlock()
}

// awsWorkerPython finds the Python of the installed aws-cli (the interpreter of the aws
// script, else python3) and checks that a worker on it reports the aws-cli version `aws`
// does, and returns that first worker; "" when not.
func awsWorkerPython() (python, version string, first *awsWorker) {
	if os.Getenv(AWSCLIEnv) == "exec" {
		return "", "", nil
	}
	out, errOut, code, err := execAWS(os.Environ(), "--version")
	if err != nil || code != 0 {
		return "", "", nil
	}
	version = strings.TrimSpace(out + errOut)
	candidates := []string{"python3"}
	if p, err := exec.LookPath("aws"); err == nil {
		if b, err := os.ReadFile(p); err == nil && strings.HasPrefix(string(b), "#!") {
			first, _, _ := strings.Cut(string(b[2:]), "\n")
			if f := strings.Fields(first); len(f) == 1 && strings.Contains(f[0], "python") {
				candidates = append([]string{f[0]}, candidates...)
			}
		}
	}
	for _, c := range candidates {
		w, v, err := startAWSWorker(c)
		if w != nil {
			if err == nil && v == version {
				return c, version, w
			}
			w.cmd.Process.Kill()
			w.cmd.Wait()
		}
	}
	return "", "", nil
}

// startAWSWorker starts a worker and returns it with the version line it reports.
func startAWSWorker(python string) (*awsWorker, string, error) {
	cmd := exec.Command(python, "-c", awsWorkerScript)
	r, wr, err := os.Pipe()
	if err != nil {
		return nil, "", err
	}
	cmd.ExtraFiles = []*os.File{wr}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		r.Close()
		wr.Close()
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		r.Close()
		wr.Close()
		return nil, "", err
	}
	wr.Close()
	w := &awsWorker{cmd: cmd, stdin: stdin, in: json.NewEncoder(stdin), reply: bufio.NewReader(r)}
	line, err := w.reply.ReadBytes('\n')
	if err != nil {
		return w, "", fmt.Errorf("aws-cli worker on %s: %v", python, err)
	}
	var v awsResult
	if err := json.Unmarshal(line, &v); err != nil {
		return w, "", err
	}
	return w, strings.TrimSpace(v.Stdout + v.Stderr), nil
}

// StopAWSWorkers ends the idle aws-cli workers and waits for them (TestMain calls it after
// the tests, so their CPU time is counted with the test process's).
func StopAWSWorkers() {
	awsPool.Lock()
	defer awsPool.Unlock()
	for _, w := range awsPool.idle {
		w.stdin.Close()
		w.cmd.Wait()
	}
	awsPool.idle = nil
}
