#!/bin/sh
# Builds data/austen.txt.gz, the default corpus of `axon train gpt`: Jane Austen's six completed novels (public
# domain) as the R package janeaustenr ships them (Project Gutenberg texts, one line per line of the book, in
# the order Sense & Sensibility, Pride & Prejudice, Mansfield Park, Emma, Northanger Abbey, Persuasion).
# Needs Debian's r-cran-janeaustenr (`apt-get install r-cran-janeaustenr`, pulls in R). The file is committed
# and compiled into the axon binary (cmake/embed.cmake), so this is only needed to rebuild it.
# gzip -n leaves the name and time out of the header: the same text gives the same bytes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && Rscript -e 'library(janeaustenr); writeLines(austen_books()$text, "austen.txt")')
gzip -9 -n -c "$tmp/austen.txt" >"$here/austen.txt.gz"
echo "data/austen.txt.gz: $(wc -c <"$tmp/austen.txt") bytes of text, $(wc -c <"$here/austen.txt.gz") compressed"
