package discordtest

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Discord's message limits, enforced by the fake on every message body.
const (
	MaxContent          = 2000
	MaxEmbeds           = 10
	MaxEmbedTitle       = 256
	MaxEmbedDescription = 4096
	MaxEmbedFields      = 25
	MaxFieldName        = 256
	MaxFieldValue       = 1024
	MaxFooter           = 2048
	MaxAuthorName       = 256
	MaxEmbedTotal       = 6000
	MaxActionRows       = 5
	MaxRowComponents    = 5
	MaxCustomID         = 100
	MaxButtonLabel      = 80
)

// fieldError is one invalid field of a form body, in Discord's terms.
type fieldError struct {
	path []string
	code string
	msg  string
}

func maxLen(path []string, s string, limit int) []fieldError {
	if n := utf8.RuneCountInString(s); n > limit {
		return []fieldError{{path: path, code: "BASE_TYPE_MAX_LENGTH",
			msg: fmt.Sprintf("Must be %d or fewer in length.", limit)}}
	}
	return nil
}

// validateMessage checks a message as Discord would when creating or
// editing it. The embeds' 6000-character total counts titles, descriptions,
// field names and values, footers and author names.
func validateMessage(m Message) []fieldError {
	var errs []fieldError
	errs = append(errs, maxLen([]string{"content"}, m.Content, MaxContent)...)
	if len(m.Embeds) > MaxEmbeds {
		errs = append(errs, fieldError{path: []string{"embeds"}, code: "BASE_TYPE_MAX_LENGTH",
			msg: fmt.Sprintf("Must be %d or fewer in length.", MaxEmbeds)})
	}
	total := 0
	for i, e := range m.Embeds {
		p := func(f ...string) []string { return append([]string{"embeds", strconv.Itoa(i)}, f...) }
		errs = append(errs, maxLen(p("title"), e.Title, MaxEmbedTitle)...)
		errs = append(errs, maxLen(p("description"), e.Description, MaxEmbedDescription)...)
		total += utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
		if e.Footer != nil {
			errs = append(errs, maxLen(p("footer", "text"), e.Footer.Text, MaxFooter)...)
			total += utf8.RuneCountInString(e.Footer.Text)
		}
		if e.Author != nil {
			errs = append(errs, maxLen(p("author", "name"), e.Author.Name, MaxAuthorName)...)
			total += utf8.RuneCountInString(e.Author.Name)
		}
		if len(e.Fields) > MaxEmbedFields {
			errs = append(errs, fieldError{path: p("fields"), code: "BASE_TYPE_MAX_LENGTH",
				msg: fmt.Sprintf("Must be %d or fewer in length.", MaxEmbedFields)})
		}
		for j, f := range e.Fields {
			fp := func(n string) []string { return p("fields", strconv.Itoa(j), n) }
			if f.Name == "" {
				errs = append(errs, fieldError{path: fp("name"), code: "BASE_TYPE_REQUIRED", msg: "This field is required"})
			}
			if f.Value == "" {
				errs = append(errs, fieldError{path: fp("value"), code: "BASE_TYPE_REQUIRED", msg: "This field is required"})
			}
			errs = append(errs, maxLen(fp("name"), f.Name, MaxFieldName)...)
			errs = append(errs, maxLen(fp("value"), f.Value, MaxFieldValue)...)
			total += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
		}
	}
	if total > MaxEmbedTotal {
		errs = append(errs, fieldError{path: []string{"embeds"}, code: "MAX_EMBED_SIZE_EXCEEDED",
			msg: fmt.Sprintf("Embed size exceeds maximum size of %d", MaxEmbedTotal)})
	}
	errs = append(errs, validateComponents(m.Components)...)
	return errs
}

func validateComponents(rows []Component) []fieldError {
	var errs []fieldError
	if len(rows) > MaxActionRows {
		errs = append(errs, fieldError{path: []string{"components"}, code: "BASE_TYPE_MAX_LENGTH",
			msg: fmt.Sprintf("Must be %d or fewer in length.", MaxActionRows)})
	}
	seen := map[string]bool{}
	for i, row := range rows {
		rp := []string{"components", strconv.Itoa(i)}
		if row.Type != 1 {
			errs = append(errs, fieldError{path: rp, code: "UNION_TYPE_CHOICES", msg: "Value of field \"type\" must be one of (1,)."})
			continue
		}
		if len(row.Components) == 0 || len(row.Components) > MaxRowComponents {
			errs = append(errs, fieldError{path: append(rp, "components"), code: "BASE_TYPE_BAD_LENGTH",
				msg: fmt.Sprintf("Must be between 1 and %d in length.", MaxRowComponents)})
		}
		for j, c := range row.Components {
			cp := append(append([]string{}, rp...), "components", strconv.Itoa(j))
			errs = append(errs, maxLen(append(cp, "label"), c.Label, MaxButtonLabel)...)
			errs = append(errs, maxLen(append(cp, "custom_id"), c.CustomID, MaxCustomID)...)
			if c.Type == 2 && c.Style != 5 && c.CustomID == "" {
				errs = append(errs, fieldError{path: append(cp, "custom_id"), code: "BASE_TYPE_REQUIRED", msg: "This field is required"})
			}
			if c.CustomID != "" {
				if seen[c.CustomID] {
					errs = append(errs, fieldError{path: append(cp, "custom_id"), code: "COMPONENT_CUSTOM_ID_DUPLICATED",
						msg: "Component custom id cannot be duplicated"})
				}
				seen[c.CustomID] = true
			}
		}
	}
	return errs
}

// formBody builds Discord's nested "errors" object for an Invalid Form Body.
func formBody(errs []fieldError) map[string]any {
	root := map[string]any{}
	for _, e := range errs {
		node := root
		for _, k := range e.path {
			next, ok := node[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[k] = next
			}
			node = next
		}
		list, _ := node["_errors"].([]any)
		node["_errors"] = append(list, map[string]any{"code": e.code, "message": e.msg})
	}
	return root
}
