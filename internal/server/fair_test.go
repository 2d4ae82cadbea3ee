package server_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/api"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/server"
)

// TestFairSharing: organisation A floods device imports; some of its
// requests answer 429 with Retry-After, while B's imports, sent during
// the flood, all succeed.
func TestFairSharing(t *testing.T) {
	f := apptest.New(t)
	routes := map[string]bool{}
	for _, rt := range api.New(nil).Routes() {
		routes[rt.Method+" "+rt.Path] = true
	}
	for _, e := range server.Expensive() {
		if !routes[e] {
			t.Errorf("expensive route %q is not in the API", e)
		}
	}
	csv := func(org string, i int) string { return fmt.Sprintf("uid,product\n%s-%d,%s\n", org, i, "MODEL") }
	modelA, modelB := f.A.Product.Model, f.B.Product.Model
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	var retry []string
	for i := range 150 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := strings.Replace(csv("FA", i), "MODEL", modelA, 1)
			resp, _ := f.Do("POST", "/api/v1/devices/import", f.A.Token, "text/csv", strings.NewReader(body))
			mu.Lock()
			codes[resp.StatusCode]++
			if resp.StatusCode == 429 {
				retry = append(retry, resp.Header.Get("Retry-After"))
			}
			mu.Unlock()
		}()
	}
	var bTimes []time.Duration
	for i := range 5 {
		start := time.Now()
		body := strings.Replace(csv("FB", i), "MODEL", modelB, 1)
		resp, b := f.Do("POST", "/api/v1/devices/import", f.B.Token, "text/csv", strings.NewReader(body))
		bTimes = append(bTimes, time.Since(start))
		if resp.StatusCode != 202 {
			t.Errorf("B's import during A's flood = %d %s", resp.StatusCode, b)
		}
	}
	wg.Wait()
	t.Logf("A's flood: %v; B's answers took %v", codes, bTimes)
	if codes[429] == 0 || codes[202] == 0 || codes[202]+codes[429] != 150 {
		t.Errorf("A's 150 imports answered %v, want some 202 and the rest 429", codes)
	}
	if slices.ContainsFunc(retry, func(s string) bool { n, err := strconv.Atoi(s); return err != nil || n < 1 }) {
		t.Errorf("Retry-After values %v, want whole seconds", retry)
	}
}
