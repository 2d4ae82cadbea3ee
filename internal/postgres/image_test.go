package postgres_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sqlstore"
)

// TestImageKeptWhileReplaced: one version stops using an image while an
// upload of the same bytes to another version is under way; the upload's
// version keeps a whole image. Version 1.0 has image X and 2.0 image Z.
// X is uploaded to 2.0, and that upload is held (by a lock the test takes
// on 2.0's scan row) after it found X stored and pointed 2.0 at it; 1.0's
// image is meanwhile replaced by Y, which removes X if no version uses it.
// Then the upload to 2.0 goes on. Only PostgreSQL runs transactions
// side by side like this; SQLite has one writer at a time.
func TestImageKeptWhileReplaced(t *testing.T) {
	s := open(t, nil).(*sqlstore.Store)
	ctx := context.Background()
	o := iotsec.Organisation{Name: "Acme", Country: "NL"}
	must(t, s.CreateOrg(ctx, "t", &o, ""))
	a := iotsec.System(o.ID, "t")
	p := iotsec.Product{Name: "Cam", Model: "CAM-1", Class: "camera"}
	must(t, s.CreateProduct(ctx, a, &p))
	fw := map[string]iotsec.FirmwareVersion{}
	for _, v := range []string{"1.0", "2.0"} {
		f := iotsec.FirmwareVersion{ProductID: p.ID, Version: v}
		must(t, s.CreateFirmware(ctx, a, &f))
		fw[v] = f
	}
	image := func(name string) ([]byte, iotsec.Image) {
		data := bytes.Repeat([]byte(name+" image bytes "), 200_000) // several chunks
		sum := sha256.Sum256(data)
		return data, iotsec.Image{Digest: "sha256:" + hex.EncodeToString(sum[:]), Name: name + ".bin", Size: int64(len(data))}
	}
	save := func(version string, data []byte, img iotsec.Image) error {
		return s.SaveImage(ctx, a, fw[version].ID, img, bytes.NewReader(data), &iotsec.Job{Kind: "firmware-scan"}, nil)
	}
	x, xi := image("x")
	y, yi := image("y")
	z, zi := image("z")
	must(t, save("1.0", x, xi))
	must(t, save("2.0", z, zi))

	// waiting counts the statements like pattern that wait for a lock.
	waiting := func(pattern string) int {
		var n int
		must(t, s.DB().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`, pattern).Scan(&n))
		return n
	}
	until := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				var waits []string
				rows, err := s.DB().QueryContext(ctx, `SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock'`)
				must(t, err)
				for rows.Next() {
					var q string
					rows.Scan(&q)
					waits = append(waits, q)
				}
				rows.Close()
				t.Fatalf("timed out waiting for %s; statements waiting for a lock: %q", what, waits)
			}
		}
	}
	hold, err := s.DB().BeginTx(ctx, nil)
	must(t, err)
	defer hold.Rollback()
	_, err = hold.ExecContext(ctx, "SELECT 1 FROM scans WHERE firmware_id = $1 AND org_id = $2 FOR UPDATE", fw["2.0"].ID, o.ID)
	must(t, err)

	upload := make(chan error, 1)
	go func() { upload <- save("2.0", x, xi) }()
	until("the upload to 2.0 to reach the held scan row", func() bool { return waiting("DELETE FROM scans%") > 0 })
	replace := make(chan error, 1)
	go func() { replace <- save("1.0", y, yi) }()
	// The replacement either finishes or waits for the upload to commit:
	// for X (held for the upload), or, having removed X, for the audit
	// log's lock, which the upload took when it queued its scan.
	done := false
	until("the replacement of 1.0's image to finish or wait", func() bool {
		select {
		case err := <-replace:
			replace <- err
			done = true
			return true
		default:
			return waiting("%") > waiting("DELETE FROM scans%")
		}
	})
	t.Logf("the replacement finished before the upload went on: %v", done)
	must(t, hold.Rollback())
	for what, c := range map[string]chan error{"upload X to 2.0": upload, "replace 1.0's image by Y": replace} {
		select {
		case err := <-c:
			if err != nil {
				t.Errorf("%s: %v", what, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s did not finish", what)
		}
	}
	for v, want := range map[string][]byte{"1.0": y, "2.0": x} {
		_, got, err := s.Image(ctx, a, fw[v].ID)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("image of %s: %d bytes, %v; want the %d bytes uploaded", v, len(got), err, len(want))
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
