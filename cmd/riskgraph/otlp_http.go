package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/otel"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/auth"
)

// The OTLP/HTTP trace receiver of serve --otlp-http ADDR: POST /v1/traces
// with an ExportTraceServiceRequest as application/x-protobuf or
// application/json, optionally gzip-compressed. Each request is one batch
// applied through the same store as the GraphQL ingest mutation, with the
// same roles (ingest or admin) and the same body limit (--max-body, which
// also bounds the decompressed size).

// otlpScope is the scope of everything the receiver applies. It never
// sweeps: an export is a sample, not the whole estate.
var otlpScope = graph.Scope{Source: otel.AgentName, Key: "otlp-http"}

type otlpReceiver struct {
	st      graph.Store
	maxBody int64
	logger  *slog.Logger
	// mu serialises read-accumulate-apply, so two exports of the same edge
	// both count.
	mu  sync.Mutex
	seq atomic.Uint64
}

// serveOTLP listens on addr and serves the receiver until ctx ends. stop
// shuts it down, waiting for requests in flight.
func serveOTLP(ctx context.Context, logger *slog.Logger, st graph.Store, a *auth.Authenticator, addr string, insecure bool, maxBody int64) (net.Addr, func(), error) {
	if a.Anonymous >= auth.Ingest && !isLoopback(addr) && !insecure {
		return nil, nil, fmt.Errorf("serve: --otlp-http %s is not a loopback address and no tokens are configured: give --tokens-file or RISKGRAPH_TOKENS, or --insecure-no-auth", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("serve: --otlp-http: %w", err)
	}
	h := &otlpReceiver{st: st, maxBody: maxBody, logger: logger}
	mux := http.NewServeMux()
	mux.Handle("/v1/traces", h)
	srv := &http.Server{Handler: a.Middleware(mux), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("otlp-http", "err", err)
		}
	}()
	logger.Info("OTLP/HTTP receiver listening", "addr", ln.Addr().String(), "path", "/v1/traces")
	var once sync.Once
	stop := func() {
		once.Do(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			srv.Shutdown(sctx)
			<-done
		})
	}
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-done:
		}
	}()
	return ln.Addr(), stop, nil
}

func (h *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	jsonBody := ct == "application/json"
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		otlpStatus(w, jsonBody, http.StatusMethodNotAllowed, "use POST")
		return
	}
	if !jsonBody && ct != "application/x-protobuf" {
		otlpStatus(w, false, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: want application/x-protobuf or application/json", ct))
		return
	}
	if auth.RoleOf(r.Context()) < auth.Ingest {
		otlpStatus(w, jsonBody, http.StatusForbidden, "exporting traces needs an ingest or admin token")
		return
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, h.maxBody)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			otlpStatus(w, jsonBody, http.StatusBadRequest, "gzip: "+err.Error())
			return
		}
		defer zr.Close()
		body = zr
	default:
		otlpStatus(w, jsonBody, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Encoding %q: want gzip or none", enc))
		return
	}
	data, err := io.ReadAll(io.LimitReader(body, h.maxBody+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || int64(len(data)) > h.maxBody:
		otlpStatus(w, jsonBody, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes (--max-body)", h.maxBody))
		return
	case err != nil:
		otlpStatus(w, jsonBody, http.StatusBadRequest, "reading the request: "+err.Error())
		return
	}
	format := otel.Protobuf
	if jsonBody {
		format = otel.JSON
	}
	o := otel.NewObserver("")
	warns, ferr := o.Read("request", format, otel.BytesOpener(data))
	if ferr != nil {
		otlpStatus(w, jsonBody, http.StatusBadRequest, ferr.Error())
		return
	}
	c := discovery.NewCollector("")
	stats := o.Build(c)
	run := graph.RunID(fmt.Sprintf("otlp-%s-%d", time.Now().UTC().Format("20060102T150405.000000000Z"), h.seq.Add(1)))
	b, _ := c.Batch(otlpScope, run)
	if b.Len() > 0 {
		if err := h.apply(r.Context(), &b); err != nil {
			if errors.Is(err, graph.ErrInvalid) {
				otlpStatus(w, jsonBody, http.StatusBadRequest, err.Error())
				return
			}
			h.logger.Error("otlp-http: apply", "err", err)
			// 503 tells exporters to retry later (OTLP/HTTP's retryable codes).
			otlpStatus(w, jsonBody, http.StatusServiceUnavailable, "the store could not apply the batch; retry later")
			return
		}
	}
	msgs := make([]string, 0, len(warns))
	for _, w := range warns {
		msgs = append(msgs, w.Msg)
	}
	writeExportResponse(w, jsonBody, int64(stats.Skipped), strings.Join(msgs, "; "))
}

// apply adds the stored counts and applies b, one request at a time.
func (h *otlpReceiver) apply(ctx context.Context, b *graph.Batch) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, err := h.st.Read(ctx)
	if err != nil {
		return err
	}
	err = otel.Accumulate(ctx, otel.ViewLookup(v), b)
	v.Close()
	if err != nil {
		return err
	}
	_, err = h.st.Apply(ctx, *b)
	return err
}

// writeExportResponse answers an ExportTraceServiceResponse; partial_success
// is set when spans were rejected.
func writeExportResponse(w http.ResponseWriter, jsonBody bool, rejected int64, msg string) {
	if jsonBody {
		resp := map[string]any{}
		if rejected > 0 || msg != "" {
			ps := map[string]any{}
			if rejected > 0 {
				ps["rejectedSpans"] = fmt.Sprint(rejected) // int64 is a string in OTLP/JSON
			}
			if msg != "" {
				ps["errorMessage"] = msg
			}
			resp["partialSuccess"] = ps
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		json.NewEncoder(w).Encode(resp)
		return
	}
	var out []byte
	if rejected > 0 || msg != "" {
		var ps []byte
		if rejected > 0 {
			ps = protowire.AppendTag(ps, 1, protowire.VarintType)
			ps = protowire.AppendVarint(ps, uint64(rejected))
		}
		if msg != "" {
			ps = protowire.AppendTag(ps, 2, protowire.BytesType)
			ps = protowire.AppendString(ps, msg)
		}
		out = protowire.AppendTag(out, 1, protowire.BytesType)
		out = protowire.AppendBytes(out, ps)
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// otlpStatus answers an error as OTLP/HTTP says: a google.rpc.Status in the
// request's encoding.
func otlpStatus(w http.ResponseWriter, jsonBody bool, code int, msg string) {
	rpc := int32(3) // INVALID_ARGUMENT
	switch code {
	case http.StatusForbidden:
		rpc = 7 // PERMISSION_DENIED
	case http.StatusServiceUnavailable:
		rpc = 14 // UNAVAILABLE
	case http.StatusRequestEntityTooLarge:
		rpc = 8 // RESOURCE_EXHAUSTED
	case http.StatusMethodNotAllowed, http.StatusUnsupportedMediaType:
		rpc = 12 // UNIMPLEMENTED
	}
	if jsonBody {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]any{"code": rpc, "message": msg})
		return
	}
	var b bytes.Buffer
	out := protowire.AppendTag(nil, 1, protowire.VarintType)
	out = protowire.AppendVarint(out, uint64(rpc))
	out = protowire.AppendTag(out, 2, protowire.BytesType)
	out = protowire.AppendString(out, msg)
	b.Write(out)
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}
