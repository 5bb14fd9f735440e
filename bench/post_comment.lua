-- wrk script: comment POSTs as cookieless readers would send them, each with its own text
-- (the duplicate check refuses the same text twice on one article). bench/run.py sets:
-- LECKO_POST_PATH  /comments/post/<id>
-- LECKO_FORM_TOKEN the signed token the article's form carries
-- LECKO_RUN        a number unique to this wrk run, so texts differ between rounds too

local path = os.getenv("LECKO_POST_PATH")
local token = os.getenv("LECKO_FORM_TOKEN")
local run = os.getenv("LECKO_RUN") or "0"
local sent = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

request = function()
  sent = sent + 1
  local body = "author_name=Lecteur+de+test&author_email=bench%40example.org"
    .. "&author_url=&parent_id=&website_confirm=&form_token=" .. token
    .. "&text=Commentaire+de+mesure+" .. run .. "-" .. sent
    .. "+%3A+merci+pour+cet+article%2C+tr%C3%A8s+clair."
  return wrk.format("POST", path, nil, body)
end
