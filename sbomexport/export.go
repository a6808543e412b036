package sbomexport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/anchore/syft/syft/format/common/cyclonedxhelpers"
	"github.com/anchore/syft/syft/format/spdxjson"
	"github.com/anchore/syft/syft/format/spdxtagvalue"
	"github.com/anchore/syft/syft/format/syftjson"
	"github.com/anchore/syft/syft/sbom"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/scoring"
)

// Format is an output format: a --format name and its version.
type Format struct {
	Name    string // cyclonedx-json, cyclonedx-xml, spdx-json, spdx-tag-value, syft-json
	Version string // 1.6 or 1.5 (CycloneDX), 2.3 (SPDX), "" (syft JSON)
}

func (f Format) String() string {
	if f.Version == "" {
		return f.Name
	}
	return f.Name + "@" + f.Version
}

// CycloneDX reports whether f is a CycloneDX format (the ones with VEX).
func (f Format) CycloneDX() bool { return strings.HasPrefix(f.Name, "cyclonedx-") }

// FormatNames lists the accepted --format values.
var FormatNames = []string{"cyclonedx-json", "cyclonedx-json@1.5", "cyclonedx-xml", "cyclonedx-xml@1.5",
	"spdx-json", "spdx-tag-value", "syft-json"}

// ErrFormat is wrapped by errors about an unknown format.
var ErrFormat = errors.New("unknown SBOM format")

// ParseFormat reads a --format value: NAME or NAME@VERSION.
func ParseFormat(s string) (Format, error) {
	name, ver, _ := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "@")
	def := map[string]string{"cyclonedx-json": "1.6", "cyclonedx-xml": "1.6", "spdx-json": "2.3", "spdx-tag-value": "2.3", "syft-json": ""}
	d, ok := def[name]
	if !ok {
		return Format{}, fmt.Errorf("format %q: want one of %s: %w", s, strings.Join(FormatNames, ", "), ErrFormat)
	}
	if ver == "" {
		ver = d
	}
	f := Format{Name: name, Version: ver}
	valid := ver == d || (strings.HasPrefix(name, "cyclonedx-") && ver == "1.5")
	if !valid {
		return Format{}, fmt.Errorf("format %q: version %s is not supported (want one of %s): %w", s, ver, strings.Join(FormatNames, ", "), ErrFormat)
	}
	return f, nil
}

// ContentType is the media type of documents in f.
func (f Format) ContentType() string {
	switch f.Name {
	case "cyclonedx-json":
		return "application/vnd.cyclonedx+json; version=" + f.Version
	case "cyclonedx-xml":
		return "application/vnd.cyclonedx+xml; version=" + f.Version
	case "spdx-json":
		return "application/spdx+json"
	case "spdx-tag-value":
		return "text/spdx; charset=utf-8"
	}
	return "application/json"
}

// Extension is the file name suffix of documents in f.
func (f Format) Extension() string {
	switch f.Name {
	case "cyclonedx-json":
		return ".cdx.json"
	case "cyclonedx-xml":
		return ".cdx.xml"
	case "spdx-json":
		return ".spdx.json"
	case "spdx-tag-value":
		return ".spdx"
	}
	return ".syft.json"
}

// Options control an export.
type Options struct {
	Format Format
	// Reproducible: the timestamp is $SOURCE_DATE_EPOCH, else the newest
	// lastSeen of the subject and its packages, and the serial number (the
	// SPDX document namespace) is derived from the content, so two exports
	// of the same graph state are byte-identical.
	Reproducible bool
	// WithVulnerabilities adds CycloneDX VEX vulnerabilities for the
	// subject's open findings (CycloneDX formats only).
	WithVulnerabilities bool
	// Engine answers exposure for the VEX analysis; nil: one is made over
	// the view with the default profile.
	Engine *scoring.Engine
	// ToolVersion is riskgraph's version, for the tool list.
	ToolVersion string
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

// Document is an exported SBOM.
type Document struct {
	Data        []byte
	ContentType string
	Filename    string
	Format      Format
	Subject     graph.Node
	// Components counts the packages (and, for an application, services).
	Components      int
	Vulnerabilities int
	// Note says why a document is empty, when it is.
	Note string
}

// Export writes the SBOM of the subject ref (an id or a name, see Resolve).
func Export(ctx context.Context, v graph.View, ref string, opt Options) (*Document, error) {
	subj, err := Resolve(ctx, v, ref)
	if err != nil {
		return nil, err
	}
	c, err := Collect(ctx, v, subj)
	if err != nil {
		return nil, err
	}
	return Encode(ctx, v, c, opt)
}

// Encode writes c in opt.Format. v is read for the VEX analysis only.
func Encode(ctx context.Context, v graph.View, c *Contents, opt Options) (*Document, error) {
	f := opt.Format
	if f.Name == "" {
		f = Format{Name: "cyclonedx-json", Version: "1.6"}
	}
	if opt.WithVulnerabilities && !f.CycloneDX() {
		return nil, fmt.Errorf("--with-vulnerabilities: VEX is written in CycloneDX; format %s has no place for it: %w", f, ErrFormat)
	}
	if opt.ToolVersion == "" {
		opt.ToolVersion = "dev"
	}
	doc := &Document{Format: f, ContentType: f.ContentType(), Subject: c.Subject,
		Filename: fileSlug(c.Subject) + f.Extension(), Components: len(c.Packages) + len(c.Services)}
	if len(c.Packages) == 0 {
		doc.Note = fmt.Sprintf("riskgraph knows no packages of %s %s: no SBOM was ingested for it, or its SBOM has no components", strings.ToLower(string(c.Subject.Kind)), c.Subject.Name)
	}
	var vulns []vexEntry
	if opt.WithVulnerabilities {
		var err error
		if vulns, err = analyse(ctx, v, c, opt.Engine); err != nil {
			return nil, err
		}
		doc.Vulnerabilities = len(vulns)
	}
	s, byID := toSyft(ctx, c, opt.ToolVersion)
	stamp := time.Time{}
	serial := ""
	if opt.Reproducible {
		stamp = reproducibleTime(c)
		serial = contentUUID(c, f, vulns)
	}
	var buf bytes.Buffer
	var err error
	switch f.Name {
	case "cyclonedx-json", "cyclonedx-xml":
		err = encodeCycloneDX(&buf, s, c, byID, vulns, f, stamp, serial, doc.Note, opt.ToolVersion)
	case "spdx-json", "spdx-tag-value":
		err = encodeSPDX(&buf, s, c, f, stamp, serial, doc.Note)
	default:
		var enc sbom.FormatEncoder
		enc, err = syftjson.NewFormatEncoderWithConfig(syftjson.EncoderConfig{Pretty: true})
		if err == nil {
			err = enc.Encode(&buf, s)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sbom %s of %s: %w", f, c.Subject.ID, err)
	}
	doc.Data = buf.Bytes()
	return doc, nil
}

// fileSlug is a file name for the subject: env-name for services.
func fileSlug(n graph.Node) string {
	s := n.Name
	if n.Kind == graph.Service && n.Env != "" {
		s = n.Env + "-" + n.Name
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), "._")
	if out == "" {
		out = strings.ToLower(string(n.Kind))
	}
	if len(out) > 100 {
		out = out[:100]
	}
	return out
}

// reproducibleTime is $SOURCE_DATE_EPOCH (the reproducible-builds
// convention) or the newest lastSeen of the subject and its packages: the
// time the graph last confirmed what the document says.
func reproducibleTime(c *Contents) time.Time {
	if e := os.Getenv("SOURCE_DATE_EPOCH"); e != "" {
		if n, err := strconv.ParseInt(e, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	t := c.Subject.LastSeen
	for i := range c.Packages {
		if c.Packages[i].LastSeen.After(t) {
			t = c.Packages[i].LastSeen
		}
	}
	for i := range c.Services {
		if c.Services[i].LastSeen.After(t) {
			t = c.Services[i].LastSeen
		}
	}
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Truncate(time.Second)
}

// contentUUID is a name-based (version 5 layout) UUID from the SHA-256 of
// what the document says, so the same content gets the same serial.
func contentUUID(c *Contents, f Format, vulns []vexEntry) string {
	h := sha256.New()
	w := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0x1f})
		}
		h.Write([]byte{0x1e})
	}
	props := func(p graph.Props) string { b, _ := json.Marshal(p); return string(b) }
	w("riskgraph-sbom", f.String(), string(c.Subject.ID), c.Subject.Name, props(c.Subject.Props))
	for _, p := range c.Packages {
		w("pkg", string(p.ID), p.Name, props(p.Props))
	}
	for _, d := range c.Direct {
		w("direct", string(d))
	}
	for _, d := range c.Deps {
		w("dep", string(d[0]), string(d[1]))
	}
	for _, s := range c.Services {
		w("svc", string(s.ID), s.Name)
		for _, d := range c.ServiceDirect[s.ID] {
			w("svcdep", string(d))
		}
	}
	for _, v := range vulns {
		w("vuln", v.id, string(v.state), string(v.justification), v.detail, strings.Join(idStrings(v.packages), ","))
	}
	sum := h.Sum(nil)
	sum[6] = (sum[6] & 0x0f) | 0x50 // version 5
	sum[8] = (sum[8] & 0x3f) | 0x80 // RFC 4122 variant
	x := hex.EncodeToString(sum[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

func idStrings(ids []graph.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// encodeCycloneDX converts s with syft's CycloneDX model conversion,
// completes what syft's model cannot say (see the package comment) in
// cyclonedx-go's model and encodes it the way syft's encoder does.
func encodeCycloneDX(out *bytes.Buffer, s sbom.SBOM, c *Contents, byID map[graph.ID]syftPkg, vulns []vexEntry,
	f Format, stamp time.Time, serial, note, toolVersion string) error {
	ff, spec := cdx.BOMFileFormatJSON, cdx.SpecVersion1_6
	if f.Version == "1.5" {
		spec = cdx.SpecVersion1_5
	}
	if f.Name == "cyclonedx-xml" {
		ff = cdx.BOMFileFormatXML
	}
	// syft's CycloneDX encoders are ToFormatModel, then cyclonedx-go's
	// encoder; between the two is where riskgraph adds what syft's model
	// cannot hold. (Encoding with the encoder and decoding again gives the
	// same BOM at twice the cost: a 5,000-package service spent half its
	// time there.)
	bom := cyclonedxhelpers.ToFormatModel(s)
	if spec < cdx.SpecVersion1_6 {
		dropSourceDistribution(bom.Components) // as syft's encoder does for 1.5
	}
	refs := componentRefs(bom)
	refOf := func(id graph.ID) string {
		p, ok := byID[id]
		if !ok {
			return ""
		}
		if p.PURL != "" {
			if r, ok := refs[p.PURL]; ok {
				return r
			}
		}
		return refs["\x00"+p.Name+"@"+p.Version+"@"+string(p.Type)]
	}
	if bom.Metadata == nil {
		bom.Metadata = &cdx.Metadata{}
	}
	md := bom.Metadata
	if !stamp.IsZero() {
		md.Timestamp = stamp.Format(time.RFC3339)
	}
	if serial != "" {
		bom.SerialNumber = "urn:uuid:" + serial
	}
	md.Tools = &cdx.ToolsChoice{Components: &[]cdx.Component{
		{Type: cdx.ComponentTypeApplication, Name: "riskgraph", Version: toolVersion},
		{Type: cdx.ComponentTypeApplication, Group: "anchore", Name: "syft", Version: syftVersion,
			Description: "SBOM format encoder"},
	}}
	root := subjectComponent(c.Subject)
	md.Component = root
	if note != "" {
		addProperty(&md.Properties, "riskgraph:note", note)
	}
	// application services: syft wrote them as packages; make them components
	if bom.Components != nil {
		for i := range *bom.Components {
			comp := &(*bom.Components)[i]
			if !isServiceComponent(comp) {
				continue
			}
			comp.Type = cdx.ComponentTypeApplication
			for _, svc := range c.Services {
				if byID[svc.ID].Name == comp.Name && refOf(svc.ID) == comp.BOMRef {
					comp.Properties = &[]cdx.Property{{Name: "riskgraph:id", Value: string(svc.ID)}, {Name: "riskgraph:kind", Value: "Service"}}
					if svc.Env != "" {
						addProperty(&comp.Properties, "riskgraph:env", svc.Env)
					}
				}
			}
		}
		addHashes(bom, c, refOf)
	}
	// the subject's direct dependencies
	var direct []string
	for _, d := range c.Direct {
		if r := refOf(d); r != "" {
			direct = append(direct, r)
		}
	}
	for _, svc := range c.Services {
		if r := refOf(svc.ID); r != "" {
			direct = append(direct, r)
		}
	}
	slices.Sort(direct)
	direct = slices.Compact(direct)
	deps := []cdx.Dependency{}
	if bom.Dependencies != nil {
		deps = *bom.Dependencies
	}
	deps = append([]cdx.Dependency{{Ref: root.BOMRef, Dependencies: &direct}}, deps...)
	bom.Dependencies = &deps
	if len(vulns) > 0 {
		vs := vexVulnerabilities(vulns, refOf, root.BOMRef)
		bom.Vulnerabilities = &vs
	}
	e := cdx.NewBOMEncoder(out, ff)
	e.SetPretty(true)
	e.SetEscapeHTML(false)
	return e.EncodeVersion(bom, spec)
}

// dropSourceDistribution removes the external references CycloneDX 1.5
// does not know (syft's encoder does the same below 1.6).
func dropSourceDistribution(components *[]cdx.Component) {
	if components == nil {
		return
	}
	for i := range *components {
		c := &(*components)[i]
		dropSourceDistribution(c.Components)
		if c.ExternalReferences == nil {
			continue
		}
		refs := slices.DeleteFunc(*c.ExternalReferences, func(r cdx.ExternalReference) bool {
			return r.Type == cdx.ERTypeSourceDistribution
		})
		if len(refs) == 0 {
			c.ExternalReferences = nil
			continue
		}
		c.ExternalReferences = &refs
	}
}

// componentRefs maps purls (and, for components without one, name@version
// and type) to bom-refs.
func componentRefs(bom *cdx.BOM) map[string]string {
	out := map[string]string{}
	if bom.Components == nil {
		return out
	}
	for _, comp := range *bom.Components {
		if comp.PackageURL != "" {
			out[comp.PackageURL] = comp.BOMRef
		}
		typ := ""
		if comp.Properties != nil {
			for _, p := range *comp.Properties {
				if p.Name == "syft:package:type" {
					typ = p.Value
				}
			}
		}
		out["\x00"+comp.Name+"@"+comp.Version+"@"+typ] = comp.BOMRef
	}
	return out
}

func isServiceComponent(comp *cdx.Component) bool {
	if comp.Properties == nil {
		return false
	}
	for _, p := range *comp.Properties {
		if p.Name == "syft:package:foundBy" && p.Value == foundByService {
			return true
		}
	}
	return false
}

func addProperty(ps **[]cdx.Property, name, value string) {
	if *ps == nil {
		*ps = &[]cdx.Property{}
	}
	**ps = append(**ps, cdx.Property{Name: name, Value: value})
}

// subjectComponent is the metadata component: what the SBOM describes.
func subjectComponent(n graph.Node) *cdx.Component {
	comp := &cdx.Component{BOMRef: string(n.ID), Type: cdx.ComponentTypeApplication, Name: n.Name,
		Version: n.Props.String("version")}
	if n.Kind == graph.Image {
		comp.Type = cdx.ComponentTypeContainer
		if d := n.Props.String("digest"); d != "" && comp.Version == "" {
			comp.Version = d
		}
	}
	props := []cdx.Property{{Name: "riskgraph:id", Value: string(n.ID)}, {Name: "riskgraph:kind", Value: string(n.Kind)}}
	if n.Env != "" {
		props = append(props, cdx.Property{Name: "riskgraph:env", Value: n.Env})
	}
	comp.Properties = &props
	if u := n.Props.String("repoURL"); u != "" {
		comp.ExternalReferences = &[]cdx.ExternalReference{{Type: cdx.ERTypeVCS, URL: u}}
	}
	return comp
}

// cdxHashAlgs maps the spellings a "hashes" property may use.
var cdxHashAlgs = map[string]cdx.HashAlgorithm{
	"md5": cdx.HashAlgoMD5, "sha1": cdx.HashAlgoSHA1, "sha-1": cdx.HashAlgoSHA1,
	"sha256": cdx.HashAlgoSHA256, "sha-256": cdx.HashAlgoSHA256, "sha384": cdx.HashAlgoSHA384, "sha-384": cdx.HashAlgoSHA384,
	"sha512": cdx.HashAlgoSHA512, "sha-512": cdx.HashAlgoSHA512, "sha3-256": cdx.HashAlgoSHA3_256, "sha3-512": cdx.HashAlgoSHA3_512,
	"blake2b-256": cdx.HashAlgoBlake2b_256, "blake3": cdx.HashAlgoBlake3,
}

// addHashes adds the hashes a Package node carries (props "hashes": a map
// of algorithm to hex digest) when syft's model had none for it.
func addHashes(bom *cdx.BOM, c *Contents, refOf func(graph.ID) string) {
	idx := map[string]int{}
	for i, comp := range *bom.Components {
		idx[comp.BOMRef] = i
	}
	for _, p := range c.Packages {
		hs, ok := p.Props["hashes"].(graph.Props)
		if !ok || len(hs) == 0 {
			continue
		}
		i, ok := idx[refOf(p.ID)]
		if !ok {
			continue
		}
		comp := &(*bom.Components)[i]
		var out []cdx.Hash
		for _, alg := range hs.Keys() {
			a, ok := cdxHashAlgs[strings.ToLower(alg)]
			v := hs.String(alg)
			if !ok || !isHex(v) {
				continue
			}
			out = append(out, cdx.Hash{Algorithm: a, Value: strings.ToLower(v)})
		}
		if len(out) > 0 && (comp.Hashes == nil || len(*comp.Hashes) == 0) {
			comp.Hashes = &out
		}
	}
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && len(s) >= 32
}

// encodeSPDX writes s with syft's SPDX encoder, then (reproducible) fixes
// the creation time and namespace, names riskgraph among the creators, and
// adds the note of an empty document as the document comment.
func encodeSPDX(out *bytes.Buffer, s sbom.SBOM, c *Contents, f Format, stamp time.Time, serial, note string) error {
	var enc sbom.FormatEncoder
	var err error
	if f.Name == "spdx-json" {
		enc, err = spdxjson.NewFormatEncoderWithConfig(spdxjson.EncoderConfig{Version: f.Version, Pretty: true})
	} else {
		enc, err = spdxtagvalue.NewFormatEncoderWithConfig(spdxtagvalue.EncoderConfig{Version: f.Version})
	}
	if err != nil {
		return err
	}
	var raw bytes.Buffer
	if err := enc.Encode(&raw, s); err != nil {
		return err
	}
	ns := ""
	if serial != "" {
		ns = "https://riskgraph.dev/sbom/" + strings.ToLower(string(c.Subject.Kind)) + "/" + fileSlug(c.Subject) + "-" + serial
	}
	created := ""
	if !stamp.IsZero() {
		created = stamp.UTC().Format(time.RFC3339)
	}
	if f.Name == "spdx-tag-value" {
		return patchTagValue(out, raw.Bytes(), created, ns, note)
	}
	return patchSPDXJSON(out, raw.Bytes(), created, ns, note)
}

func patchTagValue(out *bytes.Buffer, raw []byte, created, ns, note string) error {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case created != "" && strings.HasPrefix(l, "Created: "):
			l = "Created: " + created
		case ns != "" && strings.HasPrefix(l, "DocumentNamespace: "):
			l = "DocumentNamespace: " + ns
		}
		out.WriteString(l)
		out.WriteByte('\n')
		if note != "" && strings.HasPrefix(l, "DocumentNamespace: ") {
			out.WriteString("DocumentComment: <text>" + note + "</text>\n")
		}
	}
	return sc.Err()
}

func patchSPDXJSON(out *bytes.Buffer, raw []byte, created, ns, note string) error {
	if created == "" && ns == "" && note == "" {
		out.Write(raw)
		return nil
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("reading syft's SPDX output back: %w", err)
	}
	set := func(m map[string]json.RawMessage, k, v string) {
		b, _ := json.Marshal(v)
		m[k] = b
	}
	if ns != "" {
		set(doc, "documentNamespace", ns)
	}
	if note != "" {
		set(doc, "comment", note)
	}
	if created != "" {
		var ci map[string]json.RawMessage
		if err := json.Unmarshal(doc["creationInfo"], &ci); err != nil {
			return fmt.Errorf("reading syft's SPDX creationInfo back: %w", err)
		}
		set(ci, "created", created)
		b, err := json.Marshal(ci)
		if err != nil {
			return err
		}
		doc["creationInfo"] = b
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if err := json.Indent(out, b, "", " "); err != nil {
		return err
	}
	out.WriteByte('\n')
	return nil
}
