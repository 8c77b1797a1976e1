package rag

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestLockDirAcrossProcesses holds the writer lock in a child process (this
// test binary run again): a second writer gets ErrDirInUse once its wait is
// over, and one that waits gets the lock as soon as the child lets go.
func TestLockDirAcrossProcesses(t *testing.T) {
	if dir := os.Getenv("VEILLE_TEST_LOCK_HOLDER"); dir != "" {
		// The child: take the lock, say so, hold it until stdin closes.
		release, err := LockDir(context.Background(), dir)
		if err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		_ = release()
		os.Exit(0)
	}
	if !lockExclusive {
		t.Skip("no exclusive writer lock on this platform")
	}
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestLockDirAcrossProcesses$")
	cmd.Env = append(os.Environ(), "VEILLE_TEST_LOCK_HOLDER="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "locked\n" {
		t.Fatalf("child: %q, %v", line, err)
	}

	// Gives up: the wait is the caller's deadline.
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	start := time.Now()
	_, err = LockDir(ctx, dir)
	cancel()
	if !errors.Is(err, ErrDirInUse) {
		t.Fatalf("lock held by another process: err = %v, want ErrDirInUse", err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Errorf("gave up after %s, before its deadline", waited)
	}

	// Waits: the lock comes once the other process lets go.
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		release, err := LockDir(ctx, dir)
		if err == nil {
			err = release()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("lock taken while the other process holds it (err %v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	stdin.Close()
	if err := <-got; err != nil {
		t.Fatalf("lock after the other process let go: %v", err)
	}
}
