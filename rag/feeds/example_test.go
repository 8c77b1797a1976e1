package feeds_test

import (
	"fmt"
	"strings"

	"github.com/veille/veille/rag/feeds"
)

func ExampleReadOPML() {
	const opml = `<?xml version="1.0"?>
<opml version="2.0"><body>
  <outline text="Presse cyber">
    <outline type="rss" text="CERT-FR" xmlUrl="https://www.cert.ssi.gouv.fr/feed/"/>
    <outline type="rss" text="Blog" xmlUrl="https://blog.example/atom.xml"/>
  </outline>
</body></opml>`
	urls, err := feeds.ReadOPML(strings.NewReader(opml))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, u := range urls {
		fmt.Println(u)
	}
	// Output:
	// https://www.cert.ssi.gouv.fr/feed/
	// https://blog.example/atom.xml
}
