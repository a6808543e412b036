package classify

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

func TestTokens(t *testing.T) {
	for in, want := range map[string]string{
		"shippingAddress":     "shipping address",
		"date_of_birth":       "date of birth",
		"x-api-key":           "x api key",
		"icd10Code":           "icd 10 code",
		"HTTPServerURL":       "http server url",
		"card.longNum":        "card long num",
		"CREDIT_CARD_NUMBER":  "credit card number",
		"cardLast4":           "card last 4",
		"userID":              "user id",
		"MONGO_DB_PASSWORD":   "mongo db password",
		"customer_first-name": "customer first name",
	} {
		if got := strings.Join(Tokens(in), " "); got != want {
			t.Errorf("Tokens(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestName checks names from real specs and schemas (the demo estate,
// crAPI, Sock Shop, Online Boutique, the AWS sample) and names that must
// stay unclassified.
func TestName(t *testing.T) {
	cases := []struct {
		name   string
		health bool
		want   graph.DataClass // "" = nothing
	}{
		// PII
		{"email", false, graph.PII}, {"emailAddress", false, graph.PII}, {"new_email", false, graph.PII},
		{"customer_email", false, graph.PII}, {"phone", false, graph.PII}, {"phoneNumber", false, graph.PII},
		{"mobile_number", false, graph.PII}, {"fullName", false, graph.PII}, {"first_name", false, graph.PII},
		{"lastName", false, graph.PII}, {"surname", false, graph.PII}, {"dateOfBirth", false, graph.PII},
		{"dob", false, graph.PII}, {"birth_date", false, graph.PII}, {"ssn", false, graph.PII},
		{"social_security_number", false, graph.PII}, {"street_address", false, graph.PII},
		{"shippingAddress", false, graph.PII}, {"billing-address", false, graph.PII}, {"zip_code", false, graph.PII},
		{"postalCode", false, graph.PII}, {"postcode", false, graph.PII}, {"ipAddress", false, graph.PII},
		{"userAgent", false, graph.PII}, {"latitude", false, graph.PII}, {"username", false, graph.PII},
		{"passport_number", false, graph.PII}, {"vin", false, graph.PII},
		{"address.street", false, graph.PII}, {"address.number", false, graph.PII}, {"addresses.city", false, graph.PII},
		{"user.name", false, graph.PII}, {"owner.email", false, graph.PII}, {"customer.firstName", false, graph.PII},
		// SQL tables are plural: their parents count in the singular.
		{"customers.name", false, graph.PII}, {"users.name", false, graph.PII}, {"people.name", false, graph.PII},
		{"credit_cards.number", false, graph.PCI}, {"cards.number", false, graph.PCI},
		{"diagnosis_code", false, graph.PHI}, {"recovery_codes", false, graph.Credentials},
		{"passwordless", false, ""}, {"business.name", false, ""}, {"statuses.name", false, ""},
		// PCI
		{"cardNumber", false, graph.PCI}, {"credit_card_number", false, graph.PCI}, {"cvv", false, graph.PCI},
		{"ccv", false, graph.PCI}, {"credit_card_cvv", false, graph.PCI}, {"cvc2", false, graph.PCI},
		{"expiryMonth", false, graph.PCI}, {"credit_card_expiration_year", false, graph.PCI},
		{"cardholderName", false, graph.PCI}, {"card_owner_name", false, graph.PCI}, {"pan", false, graph.PCI},
		{"card.longNum", false, graph.PCI}, {"card.expires", false, graph.PCI}, {"card.number", false, graph.PCI},
		{"cards.ccv", false, graph.PCI}, {"credit_card.credit_card_number", false, graph.PCI},
		// PHI
		{"diagnosis", false, graph.PHI}, {"icd10Code", false, graph.PHI}, {"icd10_code", false, graph.PHI},
		{"medicalRecordNumber", false, graph.PHI}, {"mrn", false, graph.PHI}, {"insuranceMemberId", false, graph.PHI},
		{"insurance_provider", false, graph.PHI}, {"clinicalNotes", false, graph.PHI}, {"medications", false, graph.PHI},
		{"allergies", false, graph.PHI}, {"reasonForVisit", false, graph.PHI}, {"labResults", false, graph.PHI},
		{"document", true, graph.PHI}, {"notes", true, graph.PHI},
		// CREDENTIALS
		{"password", false, graph.Credentials}, {"password_hash", false, graph.Credentials},
		{"newPassword", false, graph.Credentials}, {"accessToken", false, graph.Credentials},
		{"refresh_token", false, graph.Credentials}, {"clientSecret", false, graph.Credentials},
		{"api_key", false, graph.Credentials}, {"x-api-key", false, graph.Credentials}, {"privateKey", false, graph.Credentials},
		{"mfaCode", false, graph.Credentials}, {"otp", false, graph.Credentials}, {"mfa_secret", false, graph.Credentials},
		{"processorToken", false, graph.Credentials}, {"DB_PASSWORD", false, graph.Credentials},
		{"JWT_SECRET", false, graph.Credentials}, {"SECRET_KEY", false, graph.Credentials},
		// FINANCIAL
		{"iban", false, graph.Financial}, {"accountNumber", false, graph.Financial}, {"routing_number", false, graph.Financial},
		{"sort_code", false, graph.Financial}, {"swift_code", false, graph.Financial},
		// nothing
		{"id", false, ""}, {"count", false, ""}, {"page", false, ""}, {"name", false, ""}, {"title", false, ""},
		{"sku", false, ""}, {"price", false, ""}, {"quantity", false, ""}, {"status", false, ""},
		{"description", false, ""}, {"customerId", false, ""}, {"user_id", false, ""}, {"orderId", false, ""},
		{"addressId", false, ""}, {"cardLast4", false, ""}, {"card_last4", false, ""}, {"cardType", false, ""},
		{"emailVerified", false, ""}, {"email_template", false, ""}, {"tokenType", false, ""}, {"expiresIn", false, ""},
		{"expiresAt", false, ""}, {"nextPageToken", false, ""}, {"keys", false, ""}, {"providerName", false, ""},
		{"testName", false, ""}, {"products.name", false, ""}, {"city", false, ""}, {"country", false, ""},
		{"amount", false, ""}, {"currency", false, ""}, {"balance", false, ""}, {"accountId", false, ""},
		{"document", false, ""}, {"notes", false, ""}, {"memberId", false, ""}, {"url", false, ""},
		{"phoneType", false, ""}, {"password_policy", false, ""}, {"orderNumber", false, ""}, {"number", false, ""},
		{"LOG_LEVEL", false, ""}, {"TLS_ENABLED", false, ""}, {"SERVER_PORT", false, ""}, {"groupNumber", false, ""},
	}
	for _, c := range cases {
		tags := Name(c.name, c.health)
		var got graph.DataClass
		for _, tg := range tags {
			if tg.Confidence >= Threshold {
				got = tg.Class
			}
		}
		if got != c.want {
			t.Errorf("Name(%q, health=%v) = %v %v, want %q", c.name, c.health, got, tags, c.want)
		}
	}
}

func TestExampleKind(t *testing.T) {
	for v, want := range map[string]string{
		"4242424242424242":       "card-number",
		"4111 1111 1111 1111":    "card-number",
		"5500-0000-0000-0004":    "card-number",
		"4242424242424241":       "", // fails Luhn
		"63fa7809-a708-461f":     "",
		"1234":                   "",
		"jane.doe@example.com":   "email",
		"078-05-1120":            "ssn",
		"GB82WEST12345698765432": "iban",
		"GB82WEST12345698765433": "", // fails mod 97
		"E11.9":                  "",
		"2028":                   "",
	} {
		if got := ExampleKind(v); got != want {
			t.Errorf("ExampleKind(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestAnnotationAndFormat(t *testing.T) {
	if tags := Annotation("f", "pii, PCI / confidential"); len(tags) != 2 || tags[0].Class != graph.PII || tags[1].Class != graph.PCI || tags[0].Confidence != 1 {
		t.Errorf("Annotation = %v", tags)
	}
	if tags := Annotation("f", "public"); len(tags) != 0 {
		t.Errorf("Annotation(public) = %v, want none", tags)
	}
	if tags := Format("contact", "email"); len(tags) != 1 || tags[0].Class != graph.PII {
		t.Errorf("Format(email) = %v", tags)
	}
	if tags := Format("createdAt", "date-time"); len(tags) != 0 {
		t.Errorf("Format(date-time) = %v, want none", tags)
	}
}

func TestClassifyNodeAndPropagate(t *testing.T) {
	c := discovery.NewCollector("test")
	svc := graph.ServiceID("test", "pay")
	api := graph.APIID(svc, "POST", "/pay")
	store := graph.DataStoreID("test", "pay-db")
	c.AddNode("t", graph.Node{ID: svc, Kind: graph.Service, Name: "pay", Props: graph.Props{"envKeys": []string{"DB_PASSWORD", "LOG_LEVEL"}}})
	c.AddNode("t", graph.Node{ID: api, Kind: graph.API, Name: "POST /pay", Props: graph.Props{
		"requestFields":  []string{"amount", "reference", "contact"},
		"responseFields": []string{"paymentId"},
		"fieldHints":     graph.Props{"reference": []string{"example:card-number"}, "contact": []string{"format:email"}},
	}, Sources: []graph.Source{{Agent: "openapi", File: "pay.yaml", Line: 12}}})
	c.AddNode("t", graph.Node{ID: store, Kind: graph.DataStore, Name: "pay-db", Props: graph.Props{
		"columns": []string{"payments.id", "payments.iban", "payments.notes"}}})
	e := graph.NewEdge(graph.Exposes, svc, api)
	c.AddEdge("t", e)
	w := graph.NewEdge(graph.Writes, svc, store)
	c.AddEdge("t", w)
	call := graph.NewEdge(graph.Calls, graph.ServiceID("test", "shop"), svc)
	c.AddEdge("t", call)
	ctx := context.Background()
	if err := (Linker{}).Link(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := (Propagate{}).Link(ctx, c); err != nil {
		t.Fatal(err)
	}
	a, _ := c.Node(api)
	if !slices.Equal(a.DataClasses, []graph.DataClass{graph.PII, graph.PCI}) {
		t.Errorf("API classes %v, want PII PCI (evidence %v)", a.DataClasses, a.Props["classEvidence"])
	}
	ev := a.Props.Strings("classEvidence")
	if !slices.Contains(ev, "PCI:reference(example:card-number,0.90)@pay.yaml:12") {
		t.Errorf("evidence %v lacks the example tag with its location", ev)
	}
	s, _ := c.Node(svc)
	if !slices.Equal(s.DataClasses, []graph.DataClass{graph.PII, graph.PCI}) {
		t.Errorf("service classes %v, want its API's PII PCI (config credentials kept apart)", s.DataClasses)
	}
	if got := s.Props.Strings("configClasses"); !slices.Equal(got, []string{"CREDENTIALS"}) {
		t.Errorf("configClasses %v, want CREDENTIALS", got)
	}
	st, _ := c.Node(store)
	if !slices.Equal(st.DataClasses, []graph.DataClass{graph.Financial}) {
		t.Errorf("store classes %v, want FINANCIAL (notes is not PHI outside health care)", st.DataClasses)
	}
	we, _ := c.Edge(w.ID)
	if !slices.Equal(we.DataClasses, []graph.DataClass{graph.Financial}) {
		t.Errorf("WRITES classes %v, want the store's", we.DataClasses)
	}
	ce, _ := c.Edge(call.ID)
	if len(ce.DataClasses) != 0 {
		t.Errorf("CALLS to a whole service got classes %v, want none", ce.DataClasses)
	}
}

func TestLabels(t *testing.T) {
	n := &graph.Node{ID: graph.ServiceID("prod", "records"), Kind: graph.Service, Name: "records", Props: graph.Props{
		"annotations": graph.Props{"riskgraph.io/data-classification": "phi, pii", "team": "health"},
		"labels":      graph.Props{"app": "records"},
	}}
	ClassifyNode(n)
	if !slices.Equal(n.DataClasses, []graph.DataClass{graph.PII, graph.PHI}) {
		t.Errorf("classes %v, want PII PHI from the annotation", n.DataClasses)
	}
}

// TestCardExampleOnIdentifier: a Luhn-valid example on an identifier field
// (orderId: 4242424242424242) is evidence, not PCI; on a card-like or
// neutral name it still counts.
func TestCardExampleOnIdentifier(t *testing.T) {
	strong := func(f string) bool {
		for _, tg := range Field(f, false, []string{"example:card-number"}) {
			if tg.Class == graph.PCI && tg.Confidence >= Threshold {
				return true
			}
		}
		return false
	}
	if strong("orderId") || strong("event.sequence_id") || strong("item_count") {
		t.Error("a card-number example on an identifier counted as PCI")
	}
	if !strong("payoutRef") || !strong("account.value") {
		t.Error("a card-number example on a plain field must count as PCI")
	}
}
