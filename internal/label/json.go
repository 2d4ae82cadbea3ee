package label

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// checkJSON walks data as a stream of tokens, without recursion, and
// refuses what the decoders behind it would accept silently: nesting
// deeper than maxDepth, an object member named twice (parsers disagree on
// which one wins, which is how two readers of one signed document come
// to see two statements) and anything after the first value. Member
// names are compared case-insensitively, as encoding/json matches them to
// struct fields.
func checkJSON(data []byte, maxDepth int) error {
	type frame struct {
		object    bool
		expectKey bool
		keys      map[string]bool
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []frame
	// value marks that a value was read in the current container.
	value := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].expectKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= maxDepth {
					return fmt.Errorf("JSON nests deeper than %d levels", maxDepth)
				}
				stack = append(stack, frame{object: t == '{', expectKey: t == '{'})
			case '}', ']':
				stack = stack[:len(stack)-1]
				value()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey {
				if stack[n-1].keys == nil {
					stack[n-1].keys = map[string]bool{}
				}
				folded := strings.ToLower(strings.ToUpper(t))
				if stack[n-1].keys[folded] {
					return fmt.Errorf("JSON member %q appears twice", t)
				}
				stack[n-1].keys[folded] = true
				stack[n-1].expectKey = false
				continue
			}
			value()
		default:
			value()
		}
		if len(stack) == 0 {
			break
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}
