package api

import (
	"context"
	"errors"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/scoring"
)

// SBOMRequest asks the SBOM hook for one document.
type SBOMRequest struct {
	Subject             graph.ID
	Format              string // a --format name: cyclonedx-json, cyclonedx-json@1.5, spdx-json, …
	WithVulnerabilities bool
	Reproducible        bool
}

// SBOMResult is a document the hook wrote.
type SBOMResult struct {
	Subject         graph.Node
	Content         []byte
	ContentType     string
	Filename        string
	Components      int
	Vulnerabilities int
	Note            string
}

// SBOMFunc writes SBOMs (cmd wires it to sbomexport: syft is large and the
// api package does not link it). It reads v, the request's snapshot, and
// eng, the scoring engine of that snapshot, for the VEX analysis. Errors
// wrapping graph.ErrNotFound answer NOT_FOUND, errors wrapping
// ErrSBOMRequest BAD_USER_INPUT with their message.
type SBOMFunc func(ctx context.Context, v graph.View, eng *scoring.Engine, req SBOMRequest) (*SBOMResult, error)

// ErrSBOMRequest marks SBOM hook errors that are the caller's (a subject
// that is not a service, application or image; a format without VEX).
var ErrSBOMRequest = errors.New("bad SBOM request")

// sbomFormats maps the GraphQL enum to format names.
var sbomFormats = map[SBOMFormat]string{
	SBOMFormatCyclonedxJSON: "cyclonedx-json", SBOMFormatCyclonedxJSON1_5: "cyclonedx-json@1.5",
	SBOMFormatCyclonedxXML: "cyclonedx-xml", SBOMFormatCyclonedxXML1_5: "cyclonedx-xml@1.5",
	SBOMFormatSpdxJSON: "spdx-json", SBOMFormatSpdxTagValue: "spdx-tag-value", SBOMFormatSyftJSON: "syft-json",
}

func (r *Resolver) sbomDocument(ctx context.Context, subject graph.ID, format SBOMFormat, vex, reproducible *bool) (*SBOMDocument, error) {
	if r.sbom == nil {
		return nil, forbidden("sbom: SBOM export is not available in this server")
	}
	name, ok := sbomFormats[format]
	if !ok {
		return nil, badInput("format", "unknown SBOM format %s", format)
	}
	v, err := r.view(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := v.Node(ctx, subject); err != nil {
		if isNotFound(err) {
			return nil, notFound("sbom: no node %s", subject)
		}
		return nil, err
	}
	req := SBOMRequest{Subject: subject, Format: name, WithVulnerabilities: vex != nil && *vex, Reproducible: reproducible != nil && *reproducible}
	var eng *scoring.Engine
	if req.WithVulnerabilities {
		a, err := r.engine(ctx)
		if err != nil {
			return nil, err
		}
		eng = a.e
	}
	res, err := r.sbom(ctx, v, eng, req)
	switch {
	case err == nil:
	case isNotFound(err):
		return nil, notFound("sbom: no node %s", subject)
	case errors.Is(err, ErrSBOMRequest):
		return nil, &codedError{CodeBadUserInput, err.Error()}
	default:
		return nil, err
	}
	doc := &SBOMDocument{Subject: wrap(res.Subject), Format: format, ContentType: res.ContentType, Filename: res.Filename,
		Components: res.Components, Vulnerabilities: res.Vulnerabilities, Content: string(res.Content)}
	if res.Note != "" {
		doc.Note = &res.Note
	}
	return doc, nil
}

// dependentImages lists the images depending on pkg (transitively through
// other packages, or directly).
func (r *Resolver) dependentImages(ctx context.Context, pkg graph.ID, transitive bool) ([]Image, error) {
	var ids []graph.ID
	var err error
	if transitive {
		ids, err = r.walkIDs(ctx, graph.Walk{From: []graph.ID{pkg}, Dir: graph.In, Kinds: []graph.EdgeKind{graph.DependsOn}}, graph.Image)
	} else {
		ids, err = r.neighbourIDs(ctx, pkg, graph.In, []graph.EdgeKind{graph.DependsOn}, graph.Image)
	}
	if err != nil {
		return nil, err
	}
	return loadAll(ctx, r, ids, func(n graph.Node) Image { return Image{nodeBase{n}} })
}
