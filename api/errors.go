package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/riskgraph/riskgraph/graph"
)

// Error codes in extensions.code. Clients branch on these, never on messages.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeNotFound        = "NOT_FOUND"
	CodeLimitExceeded   = "LIMIT_EXCEEDED"
	CodeInternal        = "INTERNAL"
)

// codedError is an error meant for the client: its message is safe to show.
type codedError struct {
	code string
	msg  string
}

func (e *codedError) Error() string { return e.msg }

func badInput(field, format string, args ...any) error {
	return &codedError{CodeBadUserInput, field + ": " + fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &codedError{CodeNotFound, fmt.Sprintf(format, args...)}
}

func forbidden(format string, args ...any) error {
	return &codedError{CodeForbidden, fmt.Sprintf(format, args...)}
}

func limitExceeded(format string, args ...any) error {
	return &codedError{CodeLimitExceeded, fmt.Sprintf(format, args...)}
}

func errInternal(msg string) error { return errors.New(msg) }

// publicMessage is what a client may see of err.
func publicMessage(err error) string {
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.msg
	}
	var inv *graph.InvalidBatchError
	if errors.As(err, &inv) {
		return inv.Error()
	}
	return "internal error"
}

// presentError turns resolver errors into GraphQL errors with a code. Only
// errors made for clients keep their message; anything else (a driver
// error, a bug) is logged and answered as "internal error", so no stack
// trace, query text or connection detail leaks.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gerr *gqlerror.Error
		if errors.As(err, &gerr) && gerr.Err == nil {
			// Parse and validation errors from gqlparser: already for clients.
			if gerr.Extensions == nil {
				gerr.Extensions = map[string]any{}
			}
			if _, ok := gerr.Extensions["code"]; !ok {
				gerr.Extensions["code"] = CodeBadUserInput
			}
			return gerr
		}
		out := graphql.DefaultErrorPresenter(ctx, err)
		code, msg := CodeInternal, "internal error"
		var ce *codedError
		var inv *graph.InvalidBatchError
		switch {
		case errors.As(err, &ce):
			code, msg = ce.code, ce.msg
		case errors.As(err, &inv):
			code, msg = CodeBadUserInput, inv.Error()
		case errors.Is(err, graph.ErrNotFound):
			code, msg = CodeNotFound, "not found"
		case errors.Is(err, graph.ErrRunFailed), errors.Is(err, graph.ErrUnknownRun), errors.Is(err, graph.ErrStaleRun):
			code, msg = CodeBadUserInput, errors.Unwrap(err).Error()
			for _, e := range []error{graph.ErrRunFailed, graph.ErrUnknownRun, graph.ErrStaleRun} {
				if errors.Is(err, e) {
					msg = e.Error()
				}
			}
		case errors.Is(err, context.DeadlineExceeded):
			code, msg = CodeLimitExceeded, "request timed out"
		default:
			log.ErrorContext(ctx, "graphql resolver error", "path", out.Path.String(), "err", err)
		}
		out.Message = msg
		if out.Extensions == nil {
			out.Extensions = map[string]any{}
		}
		out.Extensions["code"] = code
		return out
	}
}

// recoverPanic answers a panic as an internal error and logs it.
func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "graphql resolver panic", "panic", fmt.Sprint(p))
		return errors.New("panic")
	}
}

func isNotFound(err error) bool { return errors.Is(err, graph.ErrNotFound) }
