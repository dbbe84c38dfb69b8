package faults

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/awsclock"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/rehearsal"
)

// procTimeout bounds, in real time, how long a case waits for a deployer process: a release with
// its production defaults takes about 15 AWS minutes, 15 real seconds at 60x.
const procTimeout = 3 * time.Minute

// proc is a real deployer process (tests/internal/deployerproc) on the emulator's AWS clock.
type proc struct {
	t    *testing.T
	name string
	args []string
	cmd  *exec.Cmd
	// stdout and stderr are read once the process has exited (Wait has copied everything).
	stdout, stderr bytes.Buffer
	// signalled receives the line the process writes once a SIGINT or SIGTERM cancelled its context;
	// notifyDone closes once the process can write no more.
	signalled  chan string
	notifyDone chan struct{}
	exited     chan struct{}
	run        rehearsal.DeployRun
}

// startProc starts `deployer <args>` as a process named name, on clock.
func startProc(t *testing.T, name string, clock *awsclock.Clock, args []string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, args: args, signalled: make(chan string, 1), notifyDone: make(chan struct{}),
		exited: make(chan struct{})}
	p.cmd = exec.Command(deployerBin, args...)
	p.cmd.Env = append(deployerEnv(), awsclock.AnchorEnv+"="+clock.Anchor().String(), "DEPLOYERPROC_NOTIFY_FD=3")
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	notifyR, notifyW, err := os.Pipe()
	require.NoError(t, err)
	p.cmd.ExtraFiles = []*os.File{notifyW}
	p.run.Start = time.Now()
	require.NoError(t, p.cmd.Start(), "start the deployer process")
	notifyW.Close()
	go func() {
		defer close(p.notifyDone)
		defer notifyR.Close()
		if line, err := bufio.NewReader(notifyR).ReadString('\n'); err == nil {
			p.signalled <- strings.TrimSpace(line)
		}
	}()
	go p.waitExit()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("%s: deployer %s\nprogress:\n%s", p.name, strings.Join(p.args, " "), p.stderr.String())
		}
	})
	return p
}

// deployerEnv is the test's environment without what would change a deployer's behaviour: its own
// DEPLOYER_* inputs, a CI step summary.
func deployerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DEPLOYER_") || strings.HasPrefix(kv, "GITHUB_STEP_SUMMARY=") ||
			strings.HasPrefix(kv, awsclock.AnchorEnv+"=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func (p *proc) waitExit() {
	err := p.cmd.Wait()
	p.run.End = time.Now()
	p.run.Args = p.args
	p.run.ExitCode = p.cmd.ProcessState.ExitCode()
	var exit *exec.ExitError
	switch {
	case p.run.ExitCode < 0: // killed by a signal: it printed no result
		p.run.Result = deployer.Result{Outcome: "killed"}
	case err != nil && !errors.As(err, &exit):
		p.run.Err = err
	default:
		p.run.Result, p.run.Err = rehearsal.ReadResult(p.stdout.Bytes(), p.run.ExitCode)
	}
	close(p.exited)
}

// wait waits for the process to exit and returns its run.
func (p *proc) wait() rehearsal.DeployRun {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(procTimeout):
		p.t.Fatalf("%s: the deployer did not exit within %s", p.name, procTimeout)
	}
	require.NoError(p.t, p.run.Err, "%s: the deployer's result", p.name)
	return p.run
}

// interrupt sends sig and waits until it has landed: SIGKILL ended the process, or a SIGINT or
// SIGTERM cancelled the deployer's context.
func (p *proc) interrupt(sig syscall.Signal) {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(sig))
	landed := p.signalled
	if sig == syscall.SIGKILL {
		landed = nil
	}
	select {
	case <-landed:
	case <-p.exited:
		if sig == syscall.SIGKILL {
			return
		}
		<-p.notifyDone // it wrote before it exited, if at all
		select {
		case <-landed:
		default:
			p.t.Fatalf("%s: the deployer exited (code %d) and %v never cancelled its context", p.name, p.run.ExitCode, sig)
		}
	case <-time.After(30 * time.Second):
		p.t.Fatalf("%s: %v did not land within 30 s", p.name, sig)
	}
}
