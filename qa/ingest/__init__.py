"""Files to articles, articles to chunks and sentences, text to vectors."""
