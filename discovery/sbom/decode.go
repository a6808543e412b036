package sbom

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/anchore/syft/syft/format"
	"github.com/anchore/syft/syft/format/cyclonedxjson"
	"github.com/anchore/syft/syft/format/cyclonedxxml"
)

// Kind of an SBOM document, from its first bytes.
const (
	kindNone           = ""
	kindCycloneDXJSON  = "cyclonedx-json"
	kindCycloneDXXML   = "cyclonedx-xml"
	kindSPDXJSON       = "spdx-json"
	kindSPDXTagValue   = "spdx-tag-value"
	kindSyftJSON       = "syft-json"
	sniffLen           = 64 << 10
	maxSubjectRefChars = 512
)

// sniff tells an SBOM document by content: the markers every format puts
// near the top (bomFormat, spdxVersion, the CycloneDX XML namespace, the
// SPDXVersion tag, syft's schema URL).
func sniff(data []byte) string {
	head := data
	if len(head) > sniffLen {
		head = head[:sniffLen]
	}
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	switch {
	case len(t) == 0:
		return kindNone
	case t[0] == '{':
		switch {
		case bytes.Contains(t, []byte(`"bomFormat"`)) && bytes.Contains(t, []byte(`CycloneDX`)):
			return kindCycloneDXJSON
		case bytes.Contains(t, []byte(`"spdxVersion"`)):
			return kindSPDXJSON
		case bytes.Contains(t, []byte(`"artifacts"`)) && bytes.Contains(t, []byte(`anchore/syft`)):
			return kindSyftJSON
		}
	case t[0] == '<':
		if bytes.Contains(t, []byte("http://cyclonedx.org/schema/bom/")) {
			return kindCycloneDXXML
		}
	default:
		if bytes.HasPrefix(t, []byte("SPDXVersion:")) || bytes.Contains(t, []byte("\nSPDXVersion:")) {
			return kindSPDXTagValue
		}
	}
	return kindNone
}

// cdxHeader is the part of a CycloneDX document syft's model does not keep
// apart: which component is the BOM's own subject, and its repository.
type cdxHeader struct {
	Ref, Type, Name, Version, VCS string
}

func cycloneDXHeader(kind string, data []byte) (cdxHeader, error) {
	type extRef struct {
		Type string `json:"type" xml:"type,attr"`
		URL  string `json:"url" xml:"url"`
	}
	type component struct {
		Ref     string   `json:"bom-ref" xml:"bom-ref,attr"`
		Type    string   `json:"type" xml:"type,attr"`
		Name    string   `json:"name" xml:"name"`
		Version string   `json:"version" xml:"version"`
		Ext     []extRef `json:"externalReferences" xml:"externalReferences>reference"`
	}
	var doc struct {
		Metadata *struct {
			Component *component `json:"component" xml:"component"`
		} `json:"metadata" xml:"metadata"`
	}
	var err error
	if kind == kindCycloneDXXML {
		err = xml.Unmarshal(data, &doc)
	} else {
		err = json.Unmarshal(data, &doc)
	}
	if err != nil {
		return cdxHeader{}, err
	}
	if doc.Metadata == nil || doc.Metadata.Component == nil {
		return cdxHeader{}, nil
	}
	c := doc.Metadata.Component
	h := cdxHeader{Ref: c.Ref, Type: c.Type, Name: c.Name, Version: c.Version}
	for _, e := range c.Ext {
		if e.Type == "vcs" && h.VCS == "" {
			h.VCS = e.URL
		}
	}
	return h, nil
}

// Decode reads an SBOM document (CycloneDX JSON or XML, SPDX JSON or
// tag-value, syft JSON) with syft's format decoders and reduces it to
// graph terms. name is the file name used in errors.
func Decode(name string, data []byte) (Parsed, error) {
	kind := sniff(data)
	if kind == kindNone {
		return Parsed{}, fmt.Errorf("%s: not an SBOM: expected CycloneDX (JSON or XML), SPDX (JSON or tag-value) or syft JSON", name)
	}
	var hdr cdxHeader
	if kind == kindCycloneDXJSON || kind == kindCycloneDXXML {
		h, err := cycloneDXHeader(kind, data)
		if err != nil {
			return Parsed{}, fmt.Errorf("%s: %s document: %w", name, kind, err)
		}
		hdr = h
	}
	var (
		s   = (*syftSBOM)(nil)
		err error
	)
	switch kind {
	case kindCycloneDXJSON:
		// the collection decoder would sniff the whole document again
		s, _, _, err = cyclonedxjson.NewFormatDecoder().Decode(bytes.NewReader(data))
	case kindCycloneDXXML:
		s, _, _, err = cyclonedxxml.NewFormatDecoder().Decode(bytes.NewReader(data))
	default:
		s, _, _, err = format.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return Parsed{}, fmt.Errorf("%s: %s document: %w", name, kind, err)
	}
	if s == nil {
		return Parsed{}, fmt.Errorf("%s: %s document: no SBOM content", name, kind)
	}
	root := ""
	if hdr.Ref != "" && hdr.Type != "container" && hdr.Type != "file" && hdr.Type != "operating-system" {
		root = hdr.Ref
	}
	p := FromSyft(s, root)
	switch {
	case hdr.Type == "container":
		p.Subject = Subject{Kind: "image", Name: hdr.Name, Version: hdr.Version}
	case hdr.Name != "" && root != "":
		p.Subject = Subject{Kind: "application", Name: hdr.Name, Version: hdr.Version}
	}
	p.Subject.VCS = hdr.VCS
	if len(p.Subject.Name) > maxSubjectRefChars {
		p.Subject.Name = p.Subject.Name[:maxSubjectRefChars]
	}
	p.Subject.Name = strings.TrimSpace(p.Subject.Name)
	return p, nil
}
