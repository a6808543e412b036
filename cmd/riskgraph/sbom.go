package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/api"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/memdb"
	"github.com/riskgraph/riskgraph/internal/auth"
	"github.com/riskgraph/riskgraph/internal/purlrange"
	"github.com/riskgraph/riskgraph/internal/server"
	"github.com/riskgraph/riskgraph/sbomexport"
	"github.com/riskgraph/riskgraph/scoring"
)

func init() {
	extraCommands = append(extraCommands, newSBOMCmd)
	mounts = append(mounts, mountSBOM)
	sbomHook = exportSBOM
}

// sbomHook writes the GraphQL sbom field's documents (set by init, so
// serve and query need not know the exporter).
var sbomHook api.SBOMFunc

// exportSBOM is the api.SBOMFunc: the GraphQL sbom field and the download
// endpoint write documents through it.
func exportSBOM(ctx context.Context, v graph.View, eng *scoring.Engine, req api.SBOMRequest) (*api.SBOMResult, error) {
	f, err := sbomexport.ParseFormat(req.Format)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", api.ErrSBOMRequest, err)
	}
	doc, err := sbomexport.Export(ctx, v, string(req.Subject), sbomexport.Options{Format: f, Reproducible: req.Reproducible,
		WithVulnerabilities: req.WithVulnerabilities, Engine: eng, ToolVersion: version})
	if err != nil {
		if errors.Is(err, sbomexport.ErrSubject) || errors.Is(err, sbomexport.ErrFormat) {
			return nil, fmt.Errorf("%w: %v", api.ErrSBOMRequest, err)
		}
		return nil, err
	}
	return &api.SBOMResult{Subject: doc.Subject, Content: doc.Data, ContentType: doc.ContentType, Filename: doc.Filename,
		Components: doc.Components, Vulnerabilities: doc.Vulnerabilities, Note: doc.Note}, nil
}

func newSBOMCmd(g *globals) *cobra.Command {
	var (
		dataDir, subject, format, out, search, output string
		reproducible, vex                             bool
	)
	cmd := &cobra.Command{
		Use:   "sbom",
		Short: "Write the SBOM of a service, application or image, or find who uses a package version range",
		Long: "sbom writes what the graph knows about a subject's components as a standard SBOM, with syft's format " +
			"encoders: --format " + strings.Join(sbomexport.FormatNames, ", ") + ". A service's SBOM lists its packages, " +
			"direct and transitive; an application's, each service as a component with its own dependencies; an image's, its packages. " +
			"--with-vulnerabilities adds CycloneDX VEX entries for the subject's open findings with the analysis state riskgraph derived " +
			"(exploitable where an attack path exists, not_affected/code_not_reachable where exposure analysis finds no way in). " +
			"--search PURL-RANGE lists every service and image containing a package in the range instead.",
		Example: `  riskgraph sbom --data-dir ./data --subject prod/cart-service --format cyclonedx-json -o cart.cdx.json
  riskgraph sbom --data-dir ./data --subject storefront --format spdx-json --reproducible
  riskgraph sbom --data-dir ./data --subject prod/recommendation-service --format cyclonedx-xml@1.5 --with-vulnerabilities
  riskgraph sbom --data-dir ./data --search 'pkg:maven/org.apache.logging.log4j/log4j-core@<2.17.1'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case dataDir == "":
				return errors.New("sbom: --data-dir is required (or set RISKGRAPH_DATA_DIR)")
			case (subject == "") == (search == ""):
				return errors.New("sbom: give --subject ID|NAME to write an SBOM, or --search PURL-RANGE")
			}
			if _, err := os.Stat(dataDir); err != nil {
				return fmt.Errorf("sbom: --data-dir: %w", err)
			}
			var rng purlrange.Range
			var f sbomexport.Format
			var err error
			if search != "" {
				if rng, err = purlrange.Parse(search); err != nil {
					return fmt.Errorf("sbom: --search: %w", err)
				}
				if output != "text" && output != "json" {
					return fmt.Errorf("sbom: --output %q: want text or json", output)
				}
			} else if f, err = sbomexport.ParseFormat(format); err != nil {
				return fmt.Errorf("sbom: --format: %w", err)
			}
			st, err := memdb.Open(dataDir, memdb.Options{Logger: g.logger})
			if err != nil {
				return err
			}
			defer st.Close()
			v, err := st.Read(cmd.Context())
			if err != nil {
				return err
			}
			defer v.Close()
			if search != "" {
				ms, err := sbomexport.Search(cmd.Context(), v, rng)
				if err != nil {
					return err
				}
				return printMatches(cmd.OutOrStdout(), ms, output)
			}
			doc, err := sbomexport.Export(cmd.Context(), v, subject, sbomexport.Options{Format: f, Reproducible: reproducible,
				WithVulnerabilities: vex, ToolVersion: version})
			if err != nil {
				return fmt.Errorf("sbom: %w", err)
			}
			if doc.Note != "" {
				g.logger.Warn(doc.Note, "subject", doc.Subject.ID)
			}
			if out == "" || out == "-" {
				_, err = cmd.OutOrStdout().Write(doc.Data)
				return err
			}
			if err := writeFileAtomic(out, doc.Data); err != nil {
				return fmt.Errorf("sbom: -o: %w", err)
			}
			g.logger.Info("sbom written", "file", out, "format", doc.Format.String(), "components", doc.Components,
				"vulnerabilities", doc.Vulnerabilities, "subject", doc.Subject.Name)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&dataDir, "data-dir", "", "data directory of the embedded store")
	fs.StringVar(&subject, "subject", "", "service (NAME or ENV/NAME), application or image (reference), or a node id")
	fs.StringVar(&format, "format", "cyclonedx-json", "output format: "+strings.Join(sbomexport.FormatNames, ", "))
	fs.StringVarP(&out, "out", "o", "", "write the SBOM to this file (default: standard output)")
	fs.BoolVar(&reproducible, "reproducible", false, "fixed timestamp ($SOURCE_DATE_EPOCH, else the graph's last-seen time) and content-derived serial number")
	fs.BoolVar(&vex, "with-vulnerabilities", false, "add CycloneDX VEX vulnerabilities for the subject's open findings, with riskgraph's analysis")
	fs.StringVar(&search, "search", "", "list every service and image containing a package in this purl range, e.g. 'pkg:maven/org.apache.logging.log4j/log4j-core@<2.17.1'")
	fs.StringVar(&output, "output", "text", "--search output: text or json")
	return cmd
}

func writeFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), name)
}

type matchJSON struct {
	Purl     string      `json:"purl"`
	Package  graph.ID    `json:"package"`
	Services []nodeBrief `json:"services"`
	Images   []nodeBrief `json:"images"`
}

type nodeBrief struct {
	ID   graph.ID `json:"id"`
	Name string   `json:"name"`
	Env  string   `json:"env,omitempty"`
}

func printMatches(w io.Writer, ms []sbomexport.Match, output string) error {
	if output == "json" {
		out := make([]matchJSON, 0, len(ms))
		for _, m := range ms {
			j := matchJSON{Purl: m.Package.Props.String("purl"), Package: m.Package.ID, Services: []nodeBrief{}, Images: []nodeBrief{}}
			for _, s := range m.Services {
				j.Services = append(j.Services, nodeBrief{s.ID, s.Name, s.Env})
			}
			for _, i := range m.Images {
				j.Images = append(j.Images, nodeBrief{i.ID, i.Name, i.Env})
			}
			out = append(out, j)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(ms) == 0 {
		_, err := fmt.Fprintln(w, "no package in the graph matches")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PACKAGE\tKIND\tCONTAINED IN")
	for _, m := range ms {
		purl := m.Package.Props.String("purl")
		if len(m.Services)+len(m.Images) == 0 {
			fmt.Fprintf(tw, "%s\t-\t(no service or image)\n", purl)
		}
		for _, s := range m.Services {
			name := s.Name
			if s.Env != "" {
				name = s.Env + "/" + s.Name
			}
			fmt.Fprintf(tw, "%s\tservice\t%s\n", purl, name)
		}
		for _, i := range m.Images {
			fmt.Fprintf(tw, "%s\timage\t%s\n", purl, i.Name)
		}
	}
	return tw.Flush()
}

// mountSBOM serves GET /api/v1/sbom/{id}?format=…[&vulnerabilities=true]
// [&reproducible=true] for the read role: the document with its content
// type and a download file name.
func mountSBOM(g *globals, st graph.Store, srv *server.Server, m mountOptions) error {
	srv.Handle("GET /api/v1/sbom/{id}", sbomHandler(st, g.logger))
	return nil
}

func sbomHandler(st graph.Store, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth.RoleOf(r.Context()) < auth.Read {
			httpError(w, http.StatusForbidden, api.CodeForbidden, "the read role is required")
			return
		}
		q := r.URL.Query()
		format := q.Get("format")
		if format == "" {
			format = "cyclonedx-json"
		}
		f, err := sbomexport.ParseFormat(format)
		if err != nil {
			httpError(w, http.StatusBadRequest, api.CodeBadUserInput, "format: "+err.Error())
			return
		}
		flag := func(name string) (bool, bool) {
			s := q.Get(name)
			if s == "" {
				return false, true
			}
			b, err := strconv.ParseBool(s)
			if err != nil {
				httpError(w, http.StatusBadRequest, api.CodeBadUserInput, name+": want true or false")
				return false, false
			}
			return b, true
		}
		vex, ok := flag("vulnerabilities")
		if !ok {
			return
		}
		repro, ok := flag("reproducible")
		if !ok {
			return
		}
		v, err := st.Read(r.Context())
		if err != nil {
			log.Error("sbom: read", "err", err)
			httpError(w, http.StatusServiceUnavailable, api.CodeInternal, "store unavailable")
			return
		}
		defer v.Close()
		doc, err := sbomexport.Export(r.Context(), v, r.PathValue("id"), sbomexport.Options{Format: f, Reproducible: repro,
			WithVulnerabilities: vex, ToolVersion: version})
		switch {
		case err == nil:
		case errors.Is(err, graph.ErrNotFound):
			httpError(w, http.StatusNotFound, api.CodeNotFound, err.Error())
			return
		case errors.Is(err, sbomexport.ErrSubject), errors.Is(err, sbomexport.ErrFormat):
			httpError(w, http.StatusBadRequest, api.CodeBadUserInput, err.Error())
			return
		default:
			log.Error("sbom: export", "subject", r.PathValue("id"), "err", err)
			httpError(w, http.StatusInternalServerError, api.CodeInternal, "internal error")
			return
		}
		w.Header().Set("Content-Type", doc.ContentType)
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": doc.Filename}))
		w.Header().Set("Content-Length", strconv.Itoa(len(doc.Data)))
		if doc.Note != "" {
			w.Header().Set("X-Riskgraph-Note", doc.Note)
		}
		w.Write(doc.Data)
	})
}

// httpError answers in the GraphQL error shape the rest of the server uses.
func httpError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}}})
}
