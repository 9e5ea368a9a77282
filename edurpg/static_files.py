"""Static files as WhiteNoise serves them: hashed names and compressed copies once collectstatic
has run (the production command does), plain names before it (tests, runserver), so a page
never fails for want of a manifest."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFiles(CompressedManifestStaticFilesStorage):
    def url(self, name, force=False):
        if not self.hashed_files:  # no manifest: collectstatic has not run here
            return self._url(lambda unhashed, *args: unhashed, name, force)
        return super().url(name, force)
