// Package auth checks bearer tokens. Tokens come from a file or the
// RISKGRAPH_TOKENS variable as token:role pairs and are kept only as SHA-256
// hashes, so a heap dump or a debug endpoint never shows one.
package auth

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// Role is what a token may do. Roles are ordered: each includes the ones
// before it (an ingest token may also read, an admin token may do all).
type Role int

// Roles.
const (
	None   Role = iota
	Read        // queries
	Ingest      // + ingest and sweep mutations (discovery agents, CI)
	Admin       // + risk acceptance and other administrative mutations
)

func (r Role) String() string {
	switch r {
	case Read:
		return "read"
	case Ingest:
		return "ingest"
	case Admin:
		return "admin"
	}
	return "none"
}

// ParseRole parses read, ingest or admin.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "read":
		return Read, nil
	case "ingest":
		return Ingest, nil
	case "admin":
		return Admin, nil
	}
	return None, fmt.Errorf("role %q: want read, ingest or admin", s)
}

// Tokens maps token hashes to roles.
type Tokens struct {
	byHash map[[32]byte]Role
}

// Len is the number of tokens.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return len(t.byHash)
}

func (t *Tokens) add(token string, role Role) {
	if t.byHash == nil {
		t.byHash = map[[32]byte]Role{}
	}
	t.byHash[sha256.Sum256([]byte(token))] = role
}

// parsePair reads "token:role". The role is after the last colon, so a
// token may itself contain colons.
func parsePair(s string) (string, Role, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", None, fmt.Errorf("want token:role")
	}
	tok := strings.TrimSpace(s[:i])
	if len(tok) < 16 {
		return "", None, fmt.Errorf("token is %d characters; use at least 16 (e.g. openssl rand -hex 32)", len(tok))
	}
	role, err := ParseRole(s[i+1:])
	if err != nil {
		return "", None, err
	}
	return tok, role, nil
}

// ParseEnv parses comma-separated token:role pairs (RISKGRAPH_TOKENS).
func ParseEnv(s string) (*Tokens, error) {
	t := &Tokens{}
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		tok, role, err := parsePair(part)
		if err != nil {
			return nil, fmt.Errorf("RISKGRAPH_TOKENS: pair %d: %w", i+1, err)
		}
		t.add(tok, role)
	}
	return t, nil
}

// ParseFile reads one token:role pair per line; blank lines and lines
// starting with # are ignored.
func ParseFile(name string, r io.Reader) (*Tokens, error) {
	t := &Tokens{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		tok, role, err := parsePair(s)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		t.add(tok, role)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// Load reads tokens from file (when not empty) and env, merged.
func Load(file, env string) (*Tokens, error) {
	t := &Tokens{}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--tokens-file: %w", err)
		}
		defer f.Close()
		ft, err := ParseFile(file, f)
		if err != nil {
			return nil, err
		}
		for h, r := range ft.byHash {
			t.byHash = ensure(t.byHash)
			t.byHash[h] = r
		}
	}
	if env != "" {
		et, err := ParseEnv(env)
		if err != nil {
			return nil, err
		}
		for h, r := range et.byHash {
			t.byHash = ensure(t.byHash)
			t.byHash[h] = r
		}
	}
	return t, nil
}

func ensure(m map[[32]byte]Role) map[[32]byte]Role {
	if m == nil {
		return map[[32]byte]Role{}
	}
	return m
}

// lookup returns the role of token. Hash comparison is constant-time per
// candidate so response timing does not reveal a partial match.
func (t *Tokens) lookup(token string) Role {
	if t == nil {
		return None
	}
	h := sha256.Sum256([]byte(token))
	best := None
	for k, r := range t.byHash {
		if subtle.ConstantTimeCompare(k[:], h[:]) == 1 {
			best = r
		}
	}
	return best
}

// Authenticator decides the role of each request.
type Authenticator struct {
	Tokens *Tokens
	// Anonymous is the role of a request without a token. It must be None
	// when tokens are configured except in demo mode.
	Anonymous Role
	// Public paths need no token (probes).
	Public map[string]bool
}

type roleKey struct{}

// WithRole returns ctx carrying role (for in-process callers and tests).
func WithRole(ctx context.Context, r Role) context.Context {
	return context.WithValue(ctx, roleKey{}, r)
}

// RoleOf returns the role stored in ctx, None when absent.
func RoleOf(ctx context.Context) Role {
	r, _ := ctx.Value(roleKey{}).(Role)
	return r
}

// Middleware answers 401 to requests without a valid token (when one is
// needed) and stores the caller's role in the request context.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.Public[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		role := a.Anonymous
		if h := r.Header.Get("Authorization"); h != "" {
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				unauthorized(w, "Authorization: want \"Bearer <token>\"")
				return
			}
			role = a.Tokens.lookup(strings.TrimSpace(tok))
			if role == None {
				unauthorized(w, "invalid token")
				return
			}
		}
		if role == None {
			unauthorized(w, "a bearer token is required")
			return
		}
		next.ServeHTTP(w, r.WithContext(WithRole(r.Context(), role)))
	})
}

// unauthorized answers in the GraphQL error shape, which plain HTTP clients
// can read too.
func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="riskgraph"`)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
		"message": msg, "extensions": map[string]any{"code": "UNAUTHENTICATED"},
	}}})
}
