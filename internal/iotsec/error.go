package iotsec

import (
	"errors"
	"fmt"
	"strings"
)

// Error kinds. Every error that crosses a package boundary and is meant for
// a user wraps one of these; HTTPStatus maps them to HTTP status for every
// door (API, UI, the public PKI endpoints) and the CLI's exitCode to exit
// codes, each in exactly one function. Anything else is internal.
var (
	ErrInvalid      = errors.New("invalid input")
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("unauthorized")
	ErrTooLarge     = errors.New("too large")
	ErrUnsupported  = errors.New("unsupported media type")
	ErrRateLimited  = errors.New("too many requests")
	// ErrUnavailable is a server that cannot serve right now for reasons
	// of its own (a CA whose key it cannot open): the caller did nothing
	// wrong and may retry later.
	ErrUnavailable = errors.New("service unavailable")
)

// Error is a domain error: a kind, a message that is safe to show the user,
// and optionally the offending field and the cause (logged, never shown).
type Error struct {
	Kind    error  // one of the Err* kinds above
	Field   string // JSON field or form name the problem is about, if any
	Message string // safe for users
	// Details lists each problem when an input has several (every broken
	// reference of an imported file), also safe for users.
	Details []string
	Err     error // cause, for logs
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if len(e.Details) > 0 {
		msg += ":\n  " + strings.Join(e.Details, "\n  ")
	}
	return msg
}

// Is makes errors.Is(err, ErrNotFound) true for an *Error of that kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

func (e *Error) Unwrap() error { return e.Err }

// Invalid reports bad input about one field.
func Invalid(field, format string, args ...any) error {
	return &Error{Kind: ErrInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound reports that a thing does not exist or is not visible to the
// caller; the two are never told apart, so existence does not leak.
func NotFound(what string) error {
	return &Error{Kind: ErrNotFound, Message: what + " not found"}
}

// Conflict reports a uniqueness or state conflict.
func Conflict(format string, args ...any) error {
	return &Error{Kind: ErrConflict, Message: fmt.Sprintf(format, args...)}
}

// Forbidden reports that the caller's role does not allow the action.
func Forbidden(format string, args ...any) error {
	return &Error{Kind: ErrForbidden, Message: fmt.Sprintf(format, args...)}
}

// Errorf builds a domain error of the given kind.
func Errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Kinds lists every error kind, in the order mappers test them.
func Kinds() []error {
	return []error{ErrInvalid, ErrNotFound, ErrConflict, ErrForbidden, ErrUnauthorized, ErrTooLarge, ErrUnsupported, ErrRateLimited, ErrUnavailable}
}

// Kind returns the domain kind of err, or nil when err is internal.
func Kind(err error) error {
	for _, k := range Kinds() {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

// Message returns what may be shown to a user about err: the message of the
// outermost domain error, or a generic text for internal errors.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		if e.Field != "" {
			return e.Field + ": " + e.Message
		}
		return e.Message
	}
	if k := Kind(err); k != nil {
		return k.Error()
	}
	return "internal error"
}

// DetailsOf returns the list of problems a domain error carries, if any.
func DetailsOf(err error) []string {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

// FieldOf returns the field a domain error is about, if any.
func FieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
