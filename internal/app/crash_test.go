package app_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/iotsec/iotsec/internal/sqlite" // the "sqlite" database/sql driver
)

// TestCrashResume builds the binary, starts `iotsec serve` on a loopback
// port, starts a 200,000-device import through the API, kills the server
// with SIGKILL half way, starts it again and waits for the same job to
// finish: within a minute of the restart, with every row written exactly
// once (the batch cut by the kill was rolled back with its checkpoint).
func TestCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server twice; skipped under -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "iotsec")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "../../cmd/iotsec")
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, append(args, "--data", data)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("iotsec %s: %v\n%s", strings.Join(args, " "), err, errb.String())
		}
		return out.String()
	}
	run("admin", "org", "create", "Acme", "--country", "NL")
	run("product", "create", "Router", "--org", "Acme", "--model", "R1", "-o", "id")
	var token string
	for _, l := range strings.Split(run("admin", "token", "create", "--org", "Acme", "--name", "crash", "--role", "admin"), "\n") {
		if strings.HasPrefix(l, "iotsec_tok_") {
			token = strings.TrimSpace(l)
		}
	}
	if token == "" {
		t.Fatal("no token printed")
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	base := "http://" + addr
	var logs bytes.Buffer
	serve := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--addr", addr, "--data", data, "--workers", "1", "--log-level", "info")
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			if resp, err := http.Get(base + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return cmd
				}
			}
			if i > 300 || ctx.Err() != nil {
				cmd.Process.Kill()
				t.Fatalf("server did not get ready:\n%s", logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	call := func(method, path, ctype string, body io.Reader, out any) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, base+path, body)
		req.Header.Set("Authorization", "Bearer "+token)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
			}
		}
		return resp.StatusCode
	}
	type jobView struct {
		ID      string          `json:"id"`
		State   string          `json:"state"`
		Done    int64           `json:"done"`
		Total   int64           `json:"total"`
		Message string          `json:"message"`
		Result  json.RawMessage `json:"result"`
	}

	const rows = 200_000
	var csv bytes.Buffer
	w := bufio.NewWriter(&csv)
	w.WriteString("uid,product\n")
	for i := range rows {
		fmt.Fprintf(w, "SN-%07d,R1\n", i)
	}
	w.Flush()

	srv := serve()
	var job jobView
	if code := call("POST", "/api/v1/devices/import", "text/csv", &csv, &job); code != 202 {
		t.Fatalf("import: %d %+v", code, job)
	}
	// Kill it once some batches, and not all, are written.
	for {
		var j jobView
		call("GET", "/api/v1/jobs/"+job.ID, "", nil, &j)
		if j.Done >= 10_000 {
			if j.Done >= rows {
				t.Fatalf("the import finished before the kill: %+v", j)
			}
			if !strings.HasPrefix(j.Message, "partial:") {
				t.Errorf("message while running %q, want it to say partial", j.Message)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("import did not start: %+v\n%s", j, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := srv.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	srv.Wait()
	var killed jobView
	restarted := time.Now()
	srv = serve()
	defer func() { srv.Process.Kill(); srv.Wait() }()
	call("GET", "/api/v1/jobs/"+job.ID, "", nil, &killed)
	t.Logf("killed at %d of %d (%s)", killed.Done, killed.Total, killed.Message)
	if killed.Done >= rows || !strings.HasPrefix(killed.Message, "partial:") {
		t.Errorf("after the kill the job shows %+v, want it partial", killed)
	}

	var end jobView
	for {
		call("GET", "/api/v1/jobs/"+job.ID, "", nil, &end)
		if end.State == "succeeded" || end.State == "failed" || end.State == "cancelled" {
			break
		}
		if time.Since(restarted) > 90*time.Second {
			t.Fatalf("job still %s at %d of %d %s after the restart\n%s", end.State, end.Done, end.Total, time.Since(restarted), logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("job %s %s after the restart: %s", end.State, time.Since(restarted).Round(time.Second), end.Result)
	if end.State != "succeeded" {
		t.Fatalf("job ended %s: %s", end.State, end.Message)
	}
	var res struct{ Rows, Created, Updated, Skipped int }
	if err := json.Unmarshal(end.Result, &res); err != nil {
		t.Fatal(err)
	}
	if res.Rows != rows || res.Created+res.Skipped != rows || res.Updated != 0 || res.Skipped == 0 {
		t.Errorf("result %+v: want %d rows, created+skipped = rows, none updated, some skipped", res, rows)
	}
	srv.Process.Kill()
	srv.Wait()
	db, err := sql.Open("sqlite", filepath.Join(data, "iotsec.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, uids int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(DISTINCT uid) FROM devices").Scan(&n, &uids); err != nil {
		t.Fatal(err)
	}
	if n != rows || uids != rows {
		t.Errorf("%d devices with %d distinct UIDs, want %d of each", n, uids, rows)
	}
}
