package discordtest

// Kind says how a recorded message reached the fake.
type Kind string

// The kinds of recorded messages.
const (
	KindUser     Kind = "user"     // sent by a test through SendMessage
	KindOriginal Kind = "original" // an interaction's response (callback type 4 or 5, then edits)
	KindFollowup Kind = "followup" // POST /webhooks/{app}/{token}
	KindChannel  Kind = "channel"  // POST /channels/{id}/messages
)

// FlagEphemeral is the message flag of a message only its recipient sees.
const FlagEphemeral = 1 << 6

// flagLoading marks a deferred response still "thinking".
const flagLoading = 1 << 7

// Message is a message as the fake recorded it, in Discord's JSON shape.
type Message struct {
	ID            string            `json:"id"`
	ChannelID     string            `json:"channel_id"`
	GuildID       string            `json:"guild_id,omitempty"`
	Author        User              `json:"author"`
	Content       string            `json:"content"`
	Embeds        []Embed           `json:"embeds"`
	Components    []Component       `json:"components"`
	Flags         int               `json:"flags"`
	Mentions      []User            `json:"mentions"`
	Reference     *MessageReference `json:"message_reference,omitempty"`
	Timestamp     string            `json:"timestamp"`
	Kind          Kind              `json:"-"`
	InteractionID string            `json:"-"`
	// AllowedMentions is what the sender asked for; nil when it sent none.
	AllowedMentions *AllowedMentions `json:"-"`
	Deleted         bool             `json:"-"`
	// Edits counts PATCH requests applied to the message.
	Edits int `json:"-"`
}

// Ephemeral reports whether only the interaction's user sees the message.
func (m Message) Ephemeral() bool { return m.Flags&FlagEphemeral != 0 }

// Loading reports whether the message is a deferred response not yet edited.
func (m Message) Loading() bool { return m.Flags&flagLoading != 0 }

// MentionsDisabled reports whether the sender sent allowed_mentions with an
// empty parse list, so that nothing in the message can ping anyone.
func (m Message) MentionsDisabled() bool {
	return m.AllowedMentions != nil && len(m.AllowedMentions.Parse) == 0 &&
		len(m.AllowedMentions.Users) == 0 && len(m.AllowedMentions.Roles) == 0
}

// CustomIDs lists the custom IDs of the message's components, in order.
func (m Message) CustomIDs() []string {
	var ids []string
	var walk func([]Component)
	walk = func(cs []Component) {
		for _, c := range cs {
			if c.CustomID != "" {
				ids = append(ids, c.CustomID)
			}
			walk(c.Components)
		}
	}
	walk(m.Components)
	return ids
}

// Text joins the message's content and its embeds' titles, descriptions,
// fields and footers, for assertions that do not care where text sits.
func (m Message) Text() string {
	s := m.Content
	for _, e := range m.Embeds {
		s += "\n" + e.Title + "\n" + e.Description
		for _, f := range e.Fields {
			s += "\n" + f.Name + "\n" + f.Value
		}
		if e.Footer != nil {
			s += "\n" + e.Footer.Text
		}
	}
	return s
}

// User is a Discord user.
type User struct {
	ID            string `json:"id"`
	Username      string `json:"username"`
	Discriminator string `json:"discriminator"`
	Bot           bool   `json:"bot,omitempty"`
}

// Embed is a message embed.
type Embed struct {
	Title       string       `json:"title,omitempty"`
	Description string       `json:"description,omitempty"`
	URL         string       `json:"url,omitempty"`
	Color       int          `json:"color,omitempty"`
	Footer      *EmbedFooter `json:"footer,omitempty"`
	Author      *EmbedAuthor `json:"author,omitempty"`
	Fields      []EmbedField `json:"fields,omitempty"`
}

// EmbedFooter is an embed's footer.
type EmbedFooter struct {
	Text string `json:"text"`
}

// EmbedAuthor is an embed's author line.
type EmbedAuthor struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

// EmbedField is one field of an embed.
type EmbedField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

// Component is a message component: an action row (type 1) holding
// buttons (type 2) and the like.
type Component struct {
	Type       int         `json:"type"`
	CustomID   string      `json:"custom_id,omitempty"`
	Label      string      `json:"label,omitempty"`
	Style      int         `json:"style,omitempty"`
	URL        string      `json:"url,omitempty"`
	Disabled   bool        `json:"disabled,omitempty"`
	Emoji      *Emoji      `json:"emoji,omitempty"`
	Components []Component `json:"components,omitempty"`
}

// Emoji is a component's emoji.
type Emoji struct {
	Name string `json:"name,omitempty"`
	ID   string `json:"id,omitempty"`
}

// AllowedMentions is a message's allowed_mentions object.
type AllowedMentions struct {
	Parse       []string `json:"parse"`
	Users       []string `json:"users,omitempty"`
	Roles       []string `json:"roles,omitempty"`
	RepliedUser bool     `json:"replied_user"`
}

// MessageReference points at the message a reply answers.
type MessageReference struct {
	MessageID string `json:"message_id"`
	ChannelID string `json:"channel_id,omitempty"`
	GuildID   string `json:"guild_id,omitempty"`
}

// messageBody is a message create or edit request; nil fields were absent.
type messageBody struct {
	Content          *string           `json:"content"`
	Embeds           *[]Embed          `json:"embeds"`
	Components       *[]Component      `json:"components"`
	Flags            int               `json:"flags"`
	AllowedMentions  *AllowedMentions  `json:"allowed_mentions"`
	MessageReference *MessageReference `json:"message_reference"`
}

// apply copies the fields present in b onto m.
func (b messageBody) apply(m *Message) {
	if b.Content != nil {
		m.Content = *b.Content
	}
	if b.Embeds != nil {
		m.Embeds = *b.Embeds
	}
	if b.Components != nil {
		m.Components = *b.Components
	}
	m.AllowedMentions = b.AllowedMentions
	if b.MessageReference != nil {
		m.Reference = b.MessageReference
	}
}

// empty reports whether m has nothing to show.
func (m Message) empty() bool {
	return m.Content == "" && len(m.Embeds) == 0
}
