"""The playground: ``reglab play``, a local web page that retrains the models as you drag.

:mod:`reglab.play.state` (the URL's query string), :mod:`reglab.play.caps`,
:mod:`reglab.play.session` (data and training over :mod:`reglab.experiments`) and
:mod:`reglab.play.downloads` need no Streamlit; only the page, :mod:`reglab.play.app`,
imports it (``pip install "reglab[play]"``).
"""
