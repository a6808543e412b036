package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	"github.com/riskgraph/riskgraph/findings"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/auth"
	"github.com/riskgraph/riskgraph/internal/client"
	"github.com/riskgraph/riskgraph/internal/server"
)

// The remote side of `riskgraph import --server`: scanner outputs are
// posted as multipart/form-data and imported on the server, which holds
// the graph the findings are correlated with. Needs the ingest role.

func init() { mounts = append(mounts, mountImport) }

func mountImport(g *globals, st graph.Store, srv *server.Server, _ mountOptions) error {
	srv.Handle("POST "+client.ImportPath, &importHandler{store: st, log: g.logger})
	return nil
}

type importHandler struct {
	store graph.Store
	log   *slog.Logger
}

func (h *importHandler) answer(w http.ResponseWriter, status int, resp client.ImportResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(resp)
}

func (h *importHandler) fail(w http.ResponseWriter, status int, format string, args ...any) {
	h.answer(w, status, client.ImportResponse{Error: fmt.Sprintf(format, args...)})
}

func (h *importHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if role := auth.RoleOf(r.Context()); role < auth.Ingest {
		h.fail(w, http.StatusForbidden, "importing findings needs the ingest role; the token has %s", role)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		h.fail(w, http.StatusUnsupportedMediaType, "Content-Type: want multipart/form-data with one \"file\" part per scanner output")
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		h.fail(w, http.StatusBadRequest, "multipart body: %v", err)
		return
	}
	var (
		inputs []findings.Input
		opt    = findings.Options{Actor: "remote-import"}
	)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			h.readError(w, err)
			return
		}
		field, name := p.FormName(), p.FileName()
		data, err := io.ReadAll(p)
		if err != nil {
			h.readError(w, err)
			return
		}
		switch field {
		case "file":
			if name == "" {
				h.fail(w, http.StatusBadRequest, "part \"file\" #%d: a file name is required (it names the file in summaries and evidence)", len(inputs)+1)
				return
			}
			inputs = append(inputs, findings.Input{Name: name, Data: data})
		case "service":
			opt.Service = string(data)
		case "scope":
			opt.Scope = string(data)
		case "partial":
			if opt.Partial, err = strconv.ParseBool(string(data)); err != nil {
				h.fail(w, http.StatusBadRequest, "field partial: want true or false, got %q", data)
				return
			}
		case "kev":
			if opt.KEV, err = findings.ParseKEV(name, data); err != nil {
				h.fail(w, http.StatusUnprocessableEntity, "kev: %v", err)
				return
			}
		case "epss":
			if opt.EPSS, err = findings.ParseEPSS(name, bytes.NewReader(data)); err != nil {
				h.fail(w, http.StatusUnprocessableEntity, "epss: %v", err)
				return
			}
		default:
			h.fail(w, http.StatusBadRequest, "unknown part %q: want file, service, scope, partial, kev or epss", field)
			return
		}
	}
	if len(inputs) == 0 {
		h.fail(w, http.StatusBadRequest, "no \"file\" part: nothing to import")
		return
	}
	sum, err := findings.Import(r.Context(), h.store, inputs, opt)
	switch {
	case err == nil:
		h.answer(w, http.StatusOK, client.ImportResponse{Summary: sum})
	case badFiles(sum) || errors.Is(err, graph.ErrInvalid):
		// The files' own problems (file, JSON path, what was expected):
		// the caller's to fix, safe to show.
		h.answer(w, http.StatusUnprocessableEntity, client.ImportResponse{Summary: sum, Error: err.Error()})
	default:
		h.log.Error("remote findings import", "err", err)
		h.answer(w, http.StatusInternalServerError, client.ImportResponse{Summary: sum, Error: "the import could not be applied; the server log has the cause"})
	}
}

func (h *importHandler) readError(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		h.fail(w, http.StatusRequestEntityTooLarge, "request body exceeds %d bytes (serve --max-body)", tooBig.Limit)
		return
	}
	h.fail(w, http.StatusBadRequest, "multipart body: %v", err)
}

func badFiles(sum *findings.Summary) bool {
	if sum == nil {
		return false
	}
	for _, f := range sum.Files {
		if f.Error != "" {
			return true
		}
	}
	return false
}
