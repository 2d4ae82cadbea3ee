package label

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// checkJSON refuses what the decoders behind it would accept silently:
// nesting deeper than maxDepth, an object member named twice (parsers
// disagree on which one wins, which is how two readers of one signed
// document come to see two statements) and anything after the first
// value. Member names are compared case-insensitively, as encoding/json
// matches them to struct fields. It scans without recursion, after
// json.Valid has checked the syntax.
func checkJSON(data []byte, maxDepth int) error {
	if !json.Valid(data) {
		return errors.New("not JSON, or data after the JSON value")
	}
	type frame struct {
		object    bool
		expectKey bool
		keys      map[string]bool
	}
	var stack []frame
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			if len(stack) >= maxDepth {
				return fmt.Errorf("JSON nests deeper than %d levels", maxDepth)
			}
			stack = append(stack, frame{object: c == '{', expectKey: c == '{'})
		case '}', ']':
			stack = stack[:len(stack)-1]
		case ',':
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].expectKey = true
			}
		case '"':
			j, escaped := i+1, false
			for ; data[j] != '"'; j++ {
				if data[j] == '\\' {
					j++
					escaped = true
				}
			}
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey {
				var key string
				if escaped {
					if err := json.Unmarshal(data[i:j+1], &key); err != nil {
						return fmt.Errorf("JSON member name: %w", err)
					}
				} else {
					key = string(data[i+1 : j])
				}
				key = fold(key)
				f := &stack[n-1]
				if f.keys == nil {
					f.keys = make(map[string]bool, 8)
				}
				if f.keys[key] {
					return fmt.Errorf("JSON member %q appears twice", key)
				}
				f.keys[key] = true
				f.expectKey = false
			}
			i = j
		}
	}
	return nil
}

// fold maps a member name to the key encoding/json would match it by,
// case-insensitively (including the Kelvin sign and the long s, which
// fold to k and s).
func fold(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.ToLower(strings.ToUpper(s))
		}
	}
	return strings.ToLower(s)
}
