package terraform

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// rule is one ingress rule of a security group.
type rule struct {
	From, To int64 // port range; -1/-1 or 0/0 with protocol -1 is every port
	Protocol string
	CIDRs    []string
	Known    bool   // every CIDR resolved
	SourceSG string // another security group admitted (its address), if any
	Addr     string // where the rule is declared
	Line     int
	File     string
	allPorts bool
}

func (r rule) world() bool {
	for _, c := range r.CIDRs {
		if worldCIDR(c) {
			return true
		}
	}
	return false
}

// worldCIDR reports whether a CIDR admits every address: 0.0.0.0/0 and
// ::/0, but also any prefix of length 0 ("192.168.1.0/0" is the whole
// internet, whatever its address bits).
func worldCIDR(c string) bool {
	p, err := netip.ParsePrefix(strings.TrimSpace(c))
	return err == nil && p.Bits() == 0
}

func (r rule) String() string {
	p := strings.ToLower(r.Protocol)
	if p == "-1" || p == "all" {
		p = "all"
	}
	if r.allPorts {
		return p + ":*"
	}
	if r.From == r.To {
		return p + ":" + strconv.FormatInt(r.From, 10)
	}
	return fmt.Sprintf("%s:%d-%d", p, r.From, r.To)
}

// network joins what exposure depends on: security groups and their rules,
// subnets, route tables and internet gateways.
type network struct {
	m       *module
	ingress map[string][]rule // security group address → ingress rules
	public  map[string]bool   // subnet address → routes 0.0.0.0/0 to an internet gateway
	parent  *network          // the calling module's, for a called module
}

// rules returns the ingress rules of a security group of this module or
// of a calling module (a group passed in as an argument).
func (n *network) rules(sg string) []rule {
	var out []rule
	for x := n; x != nil; x = x.parent {
		out = append(out, x.ingress[sg]...)
	}
	return out
}

// isPublic reports whether a subnet of this module or of a calling module
// routes to an internet gateway.
func (n *network) isPublic(subnet string) bool {
	for x := n; x != nil; x = x.parent {
		if x.public[subnet] {
			return true
		}
	}
	return false
}

func newNetwork(m *module) *network {
	n := &network{m: m, ingress: map[string][]rule{}, public: map[string]bool{}}
	for _, sg := range m.byType["aws_security_group"] {
		n.ingress[sg.Addr] = nil
		ibs, unknown := m.bodies(sg.Body, "ingress")
		for _, ib := range ibs {
			n.ingress[sg.Addr] = append(n.ingress[sg.Addr], n.rule(ib, sg, ib.SrcRange.Start.Line, "from_port", "to_port", "cidr_blocks", "ipv6_cidr_blocks", "security_groups"))
		}
		if a, ok := sg.Body.Attributes["ingress"]; ok {
			if _, ok := a.Expr.(*hclsyntax.TupleConsExpr); !ok {
				unknown = true // rules computed elsewhere (a variable, a for expression)
			}
		}
		if unknown {
			n.ingress[sg.Addr] = append(n.ingress[sg.Addr], rule{Addr: sg.Addr, File: sg.File, Line: sg.Line, Protocol: "?"})
		}
	}
	for _, r := range m.byType["aws_security_group_rule"] {
		t, _ := m.str(r.Body, "type")
		if t != "ingress" {
			continue
		}
		for _, sg := range m.refs(r.Body, "security_group_id") {
			ru := n.rule(r.Body, r, r.Line, "from_port", "to_port", "cidr_blocks", "ipv6_cidr_blocks", "source_security_group_id")
			n.ingress[sg.Addr] = append(n.ingress[sg.Addr], ru)
		}
	}
	for _, r := range m.byType["aws_vpc_security_group_ingress_rule"] {
		for _, sg := range m.refs(r.Body, "security_group_id") {
			ru := n.rule(r.Body, r, r.Line, "from_port", "to_port", "cidr_ipv4", "cidr_ipv6", "referenced_security_group_id")
			n.ingress[sg.Addr] = append(n.ingress[sg.Addr], ru)
		}
	}
	n.routes()
	return n
}

func (n *network) rule(body *hclsyntax.Body, decl *block, line int, fromA, toA, cidrA, cidr6A, sgA string) rule {
	m := n.m
	r := rule{Addr: decl.Addr, Line: line, File: decl.File, Known: true}
	proto, ok := m.str(body, "protocol")
	if !ok {
		proto, ok = m.str(body, "ip_protocol")
	}
	r.Protocol = proto
	if !ok {
		r.Known = false
	}
	from, okF := m.integer(body, fromA)
	to, okT := m.integer(body, toA)
	r.From, r.To = from, to
	if proto == "-1" || strings.EqualFold(proto, "all") || (!okF && !okT && proto != "") {
		r.allPorts = true
	}
	if !r.allPorts && (!okF || !okT) {
		r.Known = false
	}
	for _, a := range []string{cidrA, cidr6A} {
		cs, present, known := m.strs(body, a)
		r.CIDRs = append(r.CIDRs, cs...)
		if present && !known {
			r.Known = false
		}
	}
	if refs := m.refs(body, sgA); len(refs) > 0 {
		r.SourceSG = refs[0].Addr
	}
	return r
}

// routes marks subnets whose route table sends 0.0.0.0/0 (or ::/0) to an
// internet gateway: through an explicit association, or through the VPC's
// main route table when the subnet has none.
func (n *network) routes() {
	m := n.m
	igwTable := map[string]bool{}
	toIGW := func(body *hclsyntax.Body) bool {
		dest, _ := m.str(body, "cidr_block")
		if d, ok := m.str(body, "destination_cidr_block"); ok {
			dest = d
		}
		if d, ok := m.str(body, "ipv6_cidr_block"); ok && dest == "" {
			dest = d
		}
		if d, ok := m.str(body, "destination_ipv6_cidr_block"); ok && dest == "" {
			dest = d
		}
		if !worldCIDR(dest) {
			return false
		}
		for _, g := range m.refs(body, "gateway_id") {
			if g.Type == "aws_internet_gateway" {
				return true
			}
		}
		// A literal igw- id is an internet gateway managed elsewhere.
		if g, ok := m.str(body, "gateway_id"); ok && strings.HasPrefix(g, "igw-") {
			return true
		}
		return false
	}
	for _, rt := range m.byType["aws_route_table"] {
		rbs, _ := m.bodies(rt.Body, "route")
		for _, rb := range rbs {
			if toIGW(rb) {
				igwTable[rt.Addr] = true
			}
		}
	}
	for _, r := range m.byType["aws_route"] {
		if toIGW(r.Body) {
			for _, rt := range m.refs(r.Body, "route_table_id") {
				igwTable[rt.Addr] = true
			}
		}
	}
	associated := map[string]bool{}
	for _, a := range m.byType["aws_route_table_association"] {
		rts := m.refs(a.Body, "route_table_id")
		for _, s := range m.refs(a.Body, "subnet_id") {
			associated[s.Addr] = true
			for _, rt := range rts {
				if igwTable[rt.Addr] {
					n.public[s.Addr] = true
				}
			}
		}
	}
	mainPublic := map[string]bool{} // vpc address → main table routes to an IGW
	for _, a := range m.byType["aws_main_route_table_association"] {
		for _, rt := range m.refs(a.Body, "route_table_id") {
			if igwTable[rt.Addr] {
				for _, v := range m.refs(a.Body, "vpc_id") {
					mainPublic[v.Addr] = true
				}
			}
		}
	}
	for _, rt := range m.byType["aws_default_route_table"] {
		rbs, _ := m.bodies(rt.Body, "route")
		for _, rb := range rbs {
			if toIGW(rb) {
				for _, v := range m.refs(rt.Body, "default_route_table_id") {
					mainPublic[v.Addr] = true
				}
			}
		}
	}
	for _, s := range m.byType["aws_subnet"] {
		if associated[s.Addr] {
			continue
		}
		for _, v := range m.refs(s.Body, "vpc_id") {
			if mainPublic[v.Addr] {
				n.public[s.Addr] = true
			}
		}
	}
}

// exposure is what joining security groups, subnets and routes found for
// one resource.
type exposure struct {
	SGs        []string   // security group addresses
	WorldPorts []string   // rules admitting 0.0.0.0/0 or ::/0 ("tcp:22")
	Ports      []int64    // the ports those rules open (first port of a range; 0 = every port)
	ranges     [][2]int64 // the port ranges those rules open ({0, 0}: every port)
	Unknown    []string   // rules whose CIDRs or ports could not be resolved
	Admitted   []string   // every CIDR / group admitted, for the explanation
}

func (n *network) sgExposure(sgs []*block) exposure {
	var e exposure
	for _, sg := range sgs {
		e.SGs = append(e.SGs, sg.Addr)
		for _, r := range n.rules(sg.Addr) {
			e.Admitted = append(e.Admitted, r.CIDRs...)
			if r.SourceSG != "" {
				e.Admitted = append(e.Admitted, r.SourceSG)
			}
			if r.world() {
				e.WorldPorts = append(e.WorldPorts, r.String())
				p := r.From
				if r.allPorts {
					p = 0
				}
				e.Ports = append(e.Ports, p)
				if r.allPorts {
					e.ranges = append(e.ranges, [2]int64{0, 0})
				} else {
					e.ranges = append(e.ranges, [2]int64{r.From, max(r.From, r.To)})
				}
			} else if !r.Known {
				e.Unknown = append(e.Unknown, r.Addr+" "+r.String())
			}
		}
	}
	sort.Strings(e.WorldPorts)
	e.WorldPorts = dedupe(e.WorldPorts)
	sort.Slice(e.Ports, func(i, j int) bool { return e.Ports[i] < e.Ports[j] })
	e.Ports = dedupeInt(e.Ports)
	e.Admitted = dedupe(e.Admitted)
	return e
}

// opens reports whether the world may reach port (0 = any port).
func (e exposure) opens(port int64) bool {
	for _, r := range e.ranges {
		if r == [2]int64{0, 0} || port == 0 || (port >= r[0] && port <= r[1]) {
			return true
		}
	}
	return false
}

func (e exposure) sshOpen() bool {
	for _, w := range e.WorldPorts {
		if strings.HasSuffix(w, ":22") || strings.HasSuffix(w, ":*") {
			return true
		}
		if i := strings.Index(w, ":"); i >= 0 {
			var a, b int
			if _, err := fmt.Sscanf(w[i+1:], "%d-%d", &a, &b); err == nil && a <= 22 && b >= 22 {
				return true
			}
		}
	}
	return false
}

func dedupe(xs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func dedupeInt(xs []int64) []int64 {
	var out []int64
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// bodies returns the nested blocks of a type, the objects of an argument
// of the same name in attribute syntax (ingress = [{ … }]), and the
// expansion of dynamic "TYPE" blocks whose for_each is known, all as
// bodies. unknown is true when some dynamic block could not be expanded.
func (m *module) bodies(body *hclsyntax.Body, typ string) (out []*hclsyntax.Body, unknown bool) {
	for _, b := range blocks(body, typ) {
		out = append(out, b.Body)
	}
	if a, ok := body.Attributes[typ]; ok {
		if tup, ok := a.Expr.(*hclsyntax.TupleConsExpr); ok {
			for _, e := range tup.Exprs {
				if obj, ok := e.(*hclsyntax.ObjectConsExpr); ok {
					out = append(out, objectBody(obj))
				}
			}
		}
	}
	for _, d := range body.Blocks {
		if d.Type != "dynamic" || len(d.Labels) != 1 || d.Labels[0] != typ {
			continue
		}
		iter := typ
		if a, ok := d.Body.Attributes["iterator"]; ok {
			if kw := hcl.ExprAsKeyword(a.Expr); kw != "" {
				iter = kw
			}
		}
		var content *hclsyntax.Body
		for _, cb := range d.Body.Blocks {
			if cb.Type == "content" {
				content = cb.Body
			}
		}
		fe, ok := d.Body.Attributes["for_each"]
		if !ok || content == nil || m.ctx == nil {
			unknown = true
			continue
		}
		v, known := evalKnown(fe.Expr, m.ctx)
		if !known || !v.CanIterateElements() {
			unknown = true
			continue
		}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			ctx := m.ctx.NewChild()
			ctx.Variables = map[string]cty.Value{iter: cty.ObjectVal(map[string]cty.Value{"key": k, "value": e})}
			nb := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, SrcRange: content.SrcRange}
			for name, a := range content.Attributes {
				if val, ok := evalKnown(a.Expr, ctx); ok {
					nb.Attributes[name] = &hclsyntax.Attribute{Name: name, SrcRange: a.SrcRange,
						Expr: &hclsyntax.LiteralValueExpr{Val: val, SrcRange: a.Expr.Range()}}
				} else {
					nb.Attributes[name] = a // unknown for this element; references still resolve
				}
			}
			out = append(out, nb)
		}
	}
	return out, unknown
}

// objectBody turns an object constructor ({ from_port = 22, … }) into a
// body whose attributes are its items, so that rules written as objects
// are read like blocks.
func objectBody(obj *hclsyntax.ObjectConsExpr) *hclsyntax.Body {
	body := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, SrcRange: obj.SrcRange}
	for _, it := range obj.Items {
		k, ok := evalKnown(it.KeyExpr, nil)
		if !ok {
			// A bare identifier key (from_port = …) is a traversal.
			if kw, ok := it.KeyExpr.(*hclsyntax.ObjectConsKeyExpr); ok {
				if name := hcl.ExprAsKeyword(kw.Wrapped); name != "" {
					body.Attributes[name] = &hclsyntax.Attribute{Name: name, Expr: it.ValueExpr, SrcRange: it.ValueExpr.Range()}
				}
			}
			continue
		}
		if k.Type() == cty.String {
			name := k.AsString()
			body.Attributes[name] = &hclsyntax.Attribute{Name: name, Expr: it.ValueExpr, SrcRange: it.ValueExpr.Range()}
		}
	}
	return body
}
